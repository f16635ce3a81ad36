/** Size limits enforced at the edge. Keep `MAX_MESSAGE_BYTES` above every other limit. */
export const LIMITS = {
  /** socket.io `maxHttpBufferSize`: a larger frame closes the connection at the transport. */
  maxMessageBytes: 16 * 1024 * 1024,
  /** Longest prompt, in characters. */
  maxPromptChars: 64 * 1024,
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
  /** Longest display name, in characters. */
  maxDisplayNameChars: 40,
} as const;
