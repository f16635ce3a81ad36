/**
 * Size limits enforced at the edge. Those a server may configure (README → Configuration) are
 * defaults here: the values in force are the server's `AppLimits`, announced to the browser in
 * the `session:hello` answer (`ServerLimits`). The payload schemas (`client-to-server.ts`) keep hard ceilings.
 */
export const LIMITS = {
  /**
   * Default of `FLINT_MAX_MESSAGE_BYTES` (socket.io `maxHttpBufferSize`): a larger frame closes
   * the connection at the transport, so the browser checks its own updates against it first.
   */
  maxMessageBytes: 16 * 1024 * 1024,
  /** Default of `FLINT_MAX_PROMPT_CHARS`: longest prompt, in characters. */
  maxPromptChars: 64 * 1024,
  /** Hard ceiling of a prompt (the schema's); `FLINT_MAX_PROMPT_CHARS` may not exceed it. */
  promptCharsCeiling: 1024 * 1024,
  /** Longest file path. */
  maxPathChars: 256,
  /** Largest single Yjs update a client may send, in bytes. */
  maxDocUpdateBytes: 2 * 1024 * 1024,
  /** Files a prompt may name as @-mentioned, and as open, each. */
  maxContextFiles: 32,
  /** Session ids are 22 base64url characters (128 bits). */
  sessionIdChars: 22,
  /** Capability tokens in share links: 43 base64url characters (256 bits). */
  linkTokenChars: 43,
  /** Largest awareness (presence) update a client may send, in bytes. */
  maxAwarenessBytes: 8 * 1024,
  /** Longest project name (recent sessions show it). */
  maxProjectNameChars: 120,
  /** Longest display name, in characters. */
  maxDisplayNameChars: 40,
} as const;
