import { z } from 'zod';
import { LIMITS } from './limits';
import type { ProtocolError, Response } from './errors';

/**
 * Client → server payload schemas, one per event. The server validates every payload with
 * these at the edge; the browser uses the derived types. Keep in sync with
 * `ClientToServerEvents` below and with CONTEXT.md.
 */

/** A workspace-relative path such as `src/cart.ts`: no leading slash, no `..`, no empty segment. */
export const FilePath = z
  .string()
  .min(1, 'path is empty')
  .max(LIMITS.maxPathChars, `path is longer than ${LIMITS.maxPathChars} characters`)
  .regex(/^[A-Za-z0-9_.@-]+(\/[A-Za-z0-9_.@-]+)*$/, 'path may use letters, digits, _ . @ - and / between names')
  .refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), 'path may not contain . or .. segments');
export type FilePath = z.infer<typeof FilePath>;

export const SessionId = z
  .string()
  .length(LIMITS.sessionIdChars, 'session id has the wrong length')
  .regex(/^[A-Za-z0-9_-]+$/, 'session id is not base64url');

export const HelloPayload = z.object({ protocolVersion: z.number().int().nonnegative() }).strict();
export type HelloPayload = z.infer<typeof HelloPayload>;

export const CreatePayload = z.object({}).strict();

/**
 * What a person may do in a session: the `owner` created it (recognised by their anonymous
 * identity cookie); `editor` and `viewer` joined through a share link of that role.
 */
export const Role = z.enum(['owner', 'editor', 'viewer']);
export type Role = z.infer<typeof Role>;
/** The roles a share link can grant. */
export const LinkRole = z.enum(['editor', 'viewer']);
export type LinkRole = z.infer<typeof LinkRole>;

/**
 * `token`: the capability token from a share link (`/s/<id>?t=<token>`). Not needed by the owner.
 * Only its length is checked here: a malformed token is answered `linkInvalid` (and counted as a
 * failed attempt), not `badRequest`, so the page can say what happened.
 * Example: `{sessionId:'q1w2…', token:'Zx9…'}`
 */
export const JoinPayload = z.object({ sessionId: SessionId, token: z.string().max(256).optional() }).strict();
export type JoinPayload = z.infer<typeof JoinPayload>;

/** Owner only: create (or replace) the share link of a role; revoke it. */
export const LinkCreatePayload = z.object({ role: LinkRole }).strict();
export const LinkRevokePayload = z.object({ role: LinkRole }).strict();

/**
 * A y-protocols awareness update (`encodeAwarenessUpdate`), binary. Each state in it must be a
 * `PresenceState`; the server replaces `user.pid` and `user.role` with what it knows.
 */
export const AwarenessUpdatePayload = z
  .instanceof(Uint8Array, { message: 'expected a binary awareness update' })
  .superRefine((u, ctx) => {
    if (u.byteLength === 0) ctx.addIssue({ code: 'custom', message: 'update is empty' });
    if (u.byteLength > LIMITS.maxAwarenessBytes) {
      ctx.addIssue({
        code: 'too_big',
        origin: 'file',
        maximum: LIMITS.maxAwarenessBytes,
        inclusive: true,
        input: u.byteLength,
        message: `awareness update is larger than ${LIMITS.maxAwarenessBytes} bytes`,
      });
    }
  });

/** A Yjs relative position as JSON (`Y.relativePositionToJSON`), as y-monaco puts it in awareness. */
const RelativePositionJson = z.looseObject({});

/**
 * One participant's presence, as carried in awareness: who they are, which file they have open,
 * where they look (`viewport.top`: first visible line) and their selection (y-monaco's
 * `{anchor, head}` relative positions). `null` removes the state (they left).
 * Example: `{user:{name:'Ada', color:'#e06c75', pid:'3fa9…', role:'editor'}, file:'src/cart.ts', viewport:{top:12}}`
 */
export const PresenceState = z
  .object({
    user: z
      .object({
        name: z.string().trim().min(1).max(LIMITS.maxDisplayNameChars),
        color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colour must be #rrggbb'),
        /** Set by the server: a public id of the person (never their identity cookie). */
        pid: z.string().max(64).optional(),
        /** Set by the server. */
        role: Role.optional(),
      })
      .strict(),
    file: FilePath.nullable().optional(),
    viewport: z.object({ top: z.number().int().min(1).max(10_000_000) }).strict().nullable().optional(),
    selection: z.object({ anchor: RelativePositionJson, head: RelativePositionJson }).strict().nullable().optional(),
  })
  .strict();
export type PresenceState = z.infer<typeof PresenceState>;

/** A Yjs update, sent as binary. socket.io delivers a Buffer on Node and an ArrayBuffer in browsers. */
export const DocUpdatePayload = z
  .instanceof(Uint8Array, { message: 'expected a binary Yjs update' })
  .superRefine((u, ctx) => {
    if (u.byteLength === 0) ctx.addIssue({ code: 'custom', message: 'update is empty' });
    if (u.byteLength > LIMITS.maxDocUpdateBytes) {
      ctx.addIssue({
        code: 'too_big',
        origin: 'file',
        maximum: LIMITS.maxDocUpdateBytes,
        inclusive: true,
        input: u.byteLength,
        message: `update is larger than ${LIMITS.maxDocUpdateBytes} bytes`,
      });
    }
  });

export const FileCreatePayload = z
  .object({ path: FilePath, content: z.string().max(LIMITS.maxDocUpdateBytes).optional() })
  .strict();
export const FileRenamePayload = z.object({ from: FilePath, to: FilePath }).strict();
export const FileDeletePayload = z.object({ path: FilePath }).strict();

/** Character offsets into the open file. */
export const Selection = z
  .object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() })
  .strict()
  .refine((s) => s.start <= s.end, 'selection start is after its end');
export type Selection = z.infer<typeof Selection>;

/** `instant`: the fast tier, for small targeted edits; `deep`: a larger, slower model. */
export const TierName = z.enum(['instant', 'deep']);
export type TierName = z.infer<typeof TierName>;

export const PromptPayload = z
  .object({
    prompt: z
      .string()
      .trim()
      .min(1, 'prompt is empty')
      .max(LIMITS.promptCharsCeiling, `prompt is longer than ${LIMITS.promptCharsCeiling} characters`),
    path: FilePath,
    selection: Selection.optional(),
    mode: TierName.default('instant'),
    /** Files the person @-mentioned, in order; then the other files open in the editor. */
    mentions: z.array(FilePath).max(LIMITS.maxContextFiles, `at most ${LIMITS.maxContextFiles} mentioned files`).default([]),
    openFiles: z.array(FilePath).max(LIMITS.maxContextFiles, `at most ${LIMITS.maxContextFiles} open files`).default([]),
    /** Apply each hunk as soon as its block closes, instead of waiting for review. */
    autoApply: z.boolean().default(false),
    /** Redirect: interrupt the session's running turn, then run this one (it sees the partial answer). */
    sendNow: z.boolean().default(false),
  })
  .strict();
export type PromptPayload = z.infer<typeof PromptPayload>;

export const StreamId = z.string().min(1).max(64);
export const InterruptPayload = z.object({ streamId: StreamId }).strict();
/** Hunks a person is about to accept or reject: the server grants each to one person at a time. */
export const HunkClaimPayload = z.object({ hunkIds: z.array(z.string().min(1).max(128)).min(1).max(500) }).strict();
export interface HunkClaimResult {
  granted: string[];
  /** `decided`: already accepted or rejected; `claimed`: someone else is deciding it right now. */
  refused: Array<{ hunkId: string; reason: 'decided' | 'claimed' }>;
}
/** The browser's own measurement of a stream it painted. */
export const ReportPayload = z
  .object({ streamId: StreamId, browserTtftMs: z.number().nonnegative().max(600_000) })
  .strict();

/**
 * The result of an in-browser test run (lib/sandbox), relayed so everyone in the session sees
 * the same run. The server only validates and forwards it; every string and list is bounded, so
 * one report stays well below `LIMITS.maxMessageBytes`.
 * Example: `{runId:'r1', status:'done', scope:{kind:'all'}, durationMs:120, files:[{path:'src/a.test.ts', tests:[…], errors:[], console:[], consoleDropped:0}]}`
 */
export const TESTS_LIMITS = { files: 200, cases: 1_000, console: 200 } as const;
export const TestStatusName = z.enum(['passed', 'failed', 'skipped', 'timedout']);
export const TestLocation = z.object({ path: FilePath, line: z.number().int().min(1), column: z.number().int().min(0) }).strict();
export const TestFailure = z
  .object({
    message: z.string().max(4_000),
    name: z.string().max(200).optional(),
    diff: z.string().max(8_000).optional(),
    expected: z.string().max(2_000).optional(),
    actual: z.string().max(2_000).optional(),
    stack: z.string().max(4_000).optional(),
    location: TestLocation.optional(),
  })
  .strict();
export const TestCaseReport = z
  .object({
    id: z.string().max(32),
    name: z.array(z.string().max(300)).min(1).max(16),
    status: TestStatusName,
    durationMs: z.number().nonnegative().max(3_600_000),
    error: TestFailure.optional(),
  })
  .strict();
export const TestFileReport = z
  .object({
    path: FilePath,
    tests: z.array(TestCaseReport).max(TESTS_LIMITS.cases),
    errors: z.array(TestFailure).max(20),
    console: z
      .array(z.object({ level: z.enum(['log', 'info', 'warn', 'error', 'debug']), text: z.string().max(1_000), testId: z.string().max(32).optional() }).strict())
      .max(TESTS_LIMITS.console),
    consoleDropped: z.number().int().nonnegative(),
  })
  .strict();
export const TestsResultPayload = z
  .object({
    runId: z.string().min(1).max(64),
    status: z.enum(['running', 'done', 'timedout', 'cancelled', 'error']),
    scope: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('all') }).strict(),
      z.object({ kind: z.literal('file'), path: FilePath }).strict(),
      z.object({ kind: z.literal('test'), path: FilePath, name: z.string().max(4_000) }).strict(),
    ]),
    durationMs: z.number().nonnegative().max(3_600_000).optional(),
    files: z.array(TestFileReport).max(TESTS_LIMITS.files),
  })
  .strict()
  .refine((r) => r.files.reduce((n, f) => n + f.tests.length, 0) <= TESTS_LIMITS.cases, `a report holds at most ${TESTS_LIMITS.cases} test cases`);
export type TestsResultPayload = z.infer<typeof TestsResultPayload>;
export type TestFileReport = z.infer<typeof TestFileReport>;
export type TestCaseReport = z.infer<typeof TestCaseReport>;
export type TestFailure = z.infer<typeof TestFailure>;

/** Keep in sync with `ClientToServerEvents`. */
export const CLIENT_EVENT_SCHEMAS = {
  'session:hello': HelloPayload,
  'session:create': CreatePayload,
  'session:join': JoinPayload,
  'doc:update': DocUpdatePayload,
  'file:create': FileCreatePayload,
  'file:rename': FileRenamePayload,
  'file:delete': FileDeletePayload,
  'ai:prompt': PromptPayload,
  'ai:interrupt': InterruptPayload,
  'ai:report': ReportPayload,
  'tests:result': TestsResultPayload,
  'awareness:update': AwarenessUpdatePayload,
  'link:create': LinkCreatePayload,
  'link:revoke': LinkRevokePayload,
  'hunk:claim': HunkClaimPayload,
} as const;
export type ClientEventName = keyof typeof CLIENT_EVENT_SCHEMAS;
export const CLIENT_EVENTS = Object.keys(CLIENT_EVENT_SCHEMAS) as ClientEventName[];

/**
 * The limits this server enforces (its configuration), in the `session:hello` answer: the
 * browser checks its own changes against `maxMessageBytes` before sending (a larger frame would
 * close the connection) and names the limits in what it shows.
 */
export interface ServerLimits {
  /** Largest socket.io frame, in bytes (`FLINT_MAX_MESSAGE_BYTES`). */
  maxMessageBytes: number;
  /** Largest encoded session document, in bytes (`FLINT_MAX_DOC_BYTES`). */
  maxDocBytes: number;
  /** Most files in one session (`FLINT_MAX_FILES`). */
  maxFiles: number;
  /** Longest prompt, in characters (`FLINT_MAX_PROMPT_CHARS`). */
  maxPromptChars: number;
}

export interface HelloResult {
  protocolVersion: number;
  /** Absent from servers older than this field. */
  limits?: ServerLimits;
}

/** What `session:join` answers: the whole document, and the inference tier in use. */
export interface JoinResult {
  sessionId: string;
  /** `Y.encodeStateAsUpdate` of the session's document. */
  state: Uint8Array;
  /** The inference tier behind each mode (never its URL or key). */
  tiers: Record<TierName, TierInfo>;
  /** What this person may do here. */
  role: Role;
  /** This person's public id, as presence shows it to others. */
  pid: string;
}

export interface TierInfo {
  provider: string;
  model: string;
}

/**
 * What a tier can do right now, as `provider-status` shows it: `ready`; `warming` (connecting
 * upstream or loading the model); `downloading` (the default local model, `progress` set);
 * `unavailable` (`reason` says why in words a person understands, `help` how to fix it).
 */
export interface TierStatus {
  state: 'ready' | 'warming' | 'downloading' | 'unavailable';
  reason?: string;
  help?: string;
  progress?: { bytes: number; totalBytes: number | null; percent: number | null; etaSeconds: number | null };
}

type Ack<T> = (response: Response<T>) => void;
type Payload<E extends ClientEventName> = z.input<(typeof CLIENT_EVENT_SCHEMAS)[E]>;

export interface ClientToServerEvents {
  'session:hello': (p: Payload<'session:hello'>, ack: Ack<HelloResult>) => void;
  'session:create': (p: Payload<'session:create'>, ack: Ack<{ sessionId: string }>) => void;
  'session:join': (p: Payload<'session:join'>, ack: Ack<JoinResult>) => void;
  'doc:update': (update: Uint8Array, ack?: Ack<Record<string, never>>) => void;
  'file:create': (p: Payload<'file:create'>, ack: Ack<{ path: string }>) => void;
  'file:rename': (p: Payload<'file:rename'>, ack: Ack<{ path: string }>) => void;
  'file:delete': (p: Payload<'file:delete'>, ack: Ack<{ path: string }>) => void;
  'ai:prompt': (p: Payload<'ai:prompt'>, ack: Ack<{ streamId: string }>) => void;
  'ai:interrupt': (p: Payload<'ai:interrupt'>, ack: Ack<{ streamId: string }>) => void;
  'ai:report': (p: Payload<'ai:report'>, ack?: Ack<Record<string, never>>) => void;
  'tests:result': (p: Payload<'tests:result'>, ack?: Ack<Record<string, never>>) => void;
  'awareness:update': (update: Uint8Array, ack?: Ack<Record<string, never>>) => void;
  /** Answers the new link's token once: only its hash is stored. */
  'link:create': (p: Payload<'link:create'>, ack: Ack<{ role: LinkRole; token: string }>) => void;
  'link:revoke': (p: Payload<'link:revoke'>, ack: Ack<Record<string, never>>) => void;
  /** Before an accept or reject is written: which of the hunks this person may decide now. */
  'hunk:claim': (p: Payload<'hunk:claim'>, ack: Ack<HunkClaimResult>) => void;
}

/** How a stream ended. */
export type StreamEndStatus = 'done' | 'interrupted' | 'error';

/** Token usage as the provider reported it, or as counted from deltas when it did not. */
export interface StreamUsage {
  promptTokens?: number;
  completionTokens: number;
}

/**
 * Server → client. `ai:*` events carry the stream id, so a late delta of an interrupted stream
 * can be dropped by the client.
 * Example: `ai:delta {streamId:'s1', seq:3, text:'const x', tokens:2}`
 */
export interface ServerToClientEvents {
  'doc:update': (update: Uint8Array) => void;
  /**
   * The stream waits: for a slot (`queue`, its 1-based `position` in the FIFO queue) or for the
   * tier to have capacity again after a 429 (`capacity`, retried in `retryInMs`).
   */
  'ai:queued': (
    e: { streamId: string; reason: 'queue'; position: number } | { streamId: string; reason: 'capacity'; retryInMs: number },
  ) => void;
  /**
   * The request went upstream. `context`: prompt tokens as counted by Flint's tokenizer, the files
   * sent, how many earlier turns, and what the budget left out (see server/ai/prompt.ts).
   */
  'ai:start': (e: {
    streamId: string;
    path: string;
    mode: TierName;
    provider: string;
    model: string;
    context: { tokens: number; files: string[]; turns: number; truncated: string[] };
  }) => void;
  /** `tokens`: how many upstream deltas this message merges (one per upstream chunk). */
  'ai:delta': (e: { streamId: string; seq: number; text: string; tokens: number }) => void;
  'ai:end': (e: {
    streamId: string;
    status: StreamEndStatus;
    error?: ProtocolError;
    usage: StreamUsage;
    /** Server-side: accepted → upstream request sent (queue and retries), request sent → first token, accepted → end. */
    timing: { queueMs: number; serverTtftMs: number | null; totalMs: number };
  }) => void;
  /**
   * A tier's status changed (sent to everyone), or the current status of both tiers (sent to a
   * socket right after it joins). Example: `tier:state {tier:'instant', provider:'local',
   * model:'qwen2.5-coder', state:'downloading', progress:{bytes, totalBytes, percent:42, etaSeconds:30}}`
   */
  'tier:state': (e: { tier: TierName } & TierInfo & TierStatus) => void;
  /** Another participant's test run (its start, then its result), as they sent it. */
  'tests:result': (e: TestsResultPayload) => void;
  /** Presence of the others in the session: a y-protocols awareness update (all states right after join). */
  'awareness:update': (update: Uint8Array) => void;
  /** The link this socket joined with was revoked: it has left the session. */
  'session:closed': (e: ProtocolError) => void;
  /** An error not tied to an acknowledgement (an unknown event, or a request sent without one). */
  'protocol:error': (e: ProtocolError) => void;
}
