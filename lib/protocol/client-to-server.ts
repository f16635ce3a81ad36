import { z } from '@/lib/zod';
import { LIMITS } from './limits';
import type { Response } from './errors';
import { AgentIdPayload, AgentOpenResult, AgentResultPayload, AgentStartPayload, AgentStartResult } from './agents';
import { binaryUpdate, Bytes, FilePath, LinkRole, Role, Selection, SessionId, Sha256, StreamId, TemplateName, TestsResultPayload, TierInfo, TierName, PackagesStatus } from './values';

/**
 * Client → server: one payload schema and one answer schema per event. The server validates
 * every payload with `CLIENT_EVENT_SCHEMAS` at the edge (server/edge/dispatch.ts); the socket's
 * TypeScript event map, `ClientToServerEvents`, is derived from the two tables below, so a new
 * event is typed, validated and answered from one place. The tests check each answer against
 * its schema (test/support/protocol-client.ts).
 */

export const HelloPayload = z.object({ protocolVersion: z.number().int().nonnegative() }).strict();
export type HelloPayload = z.infer<typeof HelloPayload>;

export const CreatePayload = z.object({}).strict();

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
export const AwarenessUpdatePayload = binaryUpdate('awareness update', LIMITS.maxAwarenessBytes);

/** A Yjs update (`Y.encodeStateAsUpdate` or an update event's), binary. */
export const DocUpdatePayload = binaryUpdate('Yjs update', LIMITS.maxDocUpdateBytes);

export const FileCreatePayload = z
  .object({ path: FilePath, content: z.string().max(LIMITS.maxDocUpdateBytes).optional() })
  .strict();
export const FileRenamePayload = z.object({ from: FilePath, to: FilePath }).strict();
export const FileDeletePayload = z.object({ path: FilePath }).strict();

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

export const InterruptPayload = z.object({ streamId: StreamId }).strict();
/**
 * Re-ask the model about the blocks of a turn that did not apply, with a failure report as the
 * prompt (a new turn). `auto`: the browser's automatic follow-up — outright failures only, and
 * never of a turn that is itself a retry. Example: `{turnId: '7c9e…', auto: true}`.
 */
export const RetryPayload = z.object({ turnId: StreamId, auto: z.boolean().default(false) }).strict();
export type RetryPayload = z.infer<typeof RetryPayload>;
/** Hunks a person is about to accept or reject: the server grants each to one person at a time. */
export const HunkClaimPayload = z.object({ hunkIds: z.array(z.string().min(1).max(128)).min(1).max(500) }).strict();
/** The browser's own measurement of a stream it painted. */
export const ReportPayload = z
  .object({ streamId: StreamId, browserTtftMs: z.number().nonnegative().max(600_000) })
  .strict();

/**
 * A project from a zip (or a folder the browser packed as one): the server unpacks it, applies
 * `.gitignore` and the import limits, and creates a session owned by the sender. `name`: shown in
 * recent sessions. The zip is bounded by the server's `maxMessageBytes` (the transport's frame).
 * Example: `{name:'my-app', zip: <Uint8Array>}`
 */
export const ProjectImportPayload = z
  .object({
    name: z.string().trim().min(1).max(LIMITS.maxProjectNameChars),
    zip: Bytes('expected the zip as binary data').refine((b) => b.byteLength > 0, 'the zip is empty'),
  })
  .strict();
/**
 * A git repository over smart HTTP, cloned shallow by the server (only http and https; the
 * address rule of server/net/address-policy.ts). `ref`: a branch or tag, default the remote's HEAD.
 * Example: `{url:'https://github.com/acme/app.git', ref:'v1.2.0'}`
 */
export const ProjectClonePayload = z
  .object({
    url: z.string().trim().min(1).max(2_048),
    ref: z
      .string()
      .trim()
      .max(255)
      .regex(/^[^\s~^:?*\[\\]*$/, 'not a valid branch or tag name')
      .optional()
      .transform((r) => r || undefined),
  })
  .strict();
export const ProjectTemplatePayload = z.object({ template: TemplateName }).strict();
/**
 * Pushes the session's changes to the git origin it was cloned from, as a new commit on `branch`
 * (on top of the imported commit). `token`: the person's access token for that push only — used
 * as the HTTP password, held in memory for the push, never stored or logged. `username`: for
 * servers that want one with the token (default `x-access-token`).
 * Example: `{branch:'flint/fix-cart', token:'ghp_…', message:'Fix the cart total'}`
 */
export const ProjectPushPayload = z
  .object({
    branch: z
      .string()
      .trim()
      .min(1, 'branch name is empty')
      .max(200)
      .regex(/^(?!\/|.*\/$|.*\.\.|.*@\{|.*\.lock$|.*\/\.)[^\s~^:?*\[\\\x00-\x1f\x7f]+$/, 'not a valid branch name'),
    token: z.string().min(1, 'the token is empty').max(1_000),
    username: z.string().max(200).optional(),
    message: z.string().trim().max(2_000).optional(),
  })
  .strict();

/** A binary file's content, by the SHA-256 the session's document names it with. */
export const BlobGetPayload = z.object({ sha256: Sha256 }).strict();

/** Every client event and its payload; the event's name is `domain:verb`. */
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
  'ai:retry': RetryPayload,
  'ai:report': ReportPayload,
  'tests:result': TestsResultPayload,
  'awareness:update': AwarenessUpdatePayload,
  'link:create': LinkCreatePayload,
  'link:revoke': LinkRevokePayload,
  'hunk:claim': HunkClaimPayload,
  'project:import': ProjectImportPayload,
  'project:clone': ProjectClonePayload,
  'project:template': ProjectTemplatePayload,
  'blob:get': BlobGetPayload,
  'project:push': ProjectPushPayload,
  'agent:start': AgentStartPayload,
  'agent:stop': AgentIdPayload,
  'agent:result': AgentResultPayload,
  'agent:open': AgentIdPayload,
  'packages:install': z.object({}).strict(),
} as const;
export type ClientEventName = keyof typeof CLIENT_EVENT_SCHEMAS;
export const CLIENT_EVENTS = Object.keys(CLIENT_EVENT_SCHEMAS) as ClientEventName[];

// ---- Answers (the `data` of an `{ok:true}` acknowledgement) ----

/**
 * The limits this server enforces (its configuration), in the `session:hello` answer: the
 * browser checks its own changes against `maxMessageBytes` before sending (a larger frame would
 * close the connection) and names the limits in what it shows.
 */
export const ServerLimits = z.object({
  /** Largest socket.io frame, in bytes (`FLINT_MAX_MESSAGE_BYTES`). */
  maxMessageBytes: z.number(),
  /** Largest encoded session document, in bytes (`FLINT_MAX_DOC_BYTES`). */
  maxDocBytes: z.number(),
  /** Most files in one session (`FLINT_MAX_FILES`). */
  maxFiles: z.number(),
  /** Import limits (`FLINT_IMPORT_MAX_FILES`, `FLINT_IMPORT_MAX_BYTES`, `FLINT_IMPORT_MAX_FILE_BYTES`): the browser checks a folder against them before packing it. */
  import: z.object({ maxFiles: z.number(), maxBytes: z.number(), maxFileBytes: z.number() }).optional(),
  /** Longest prompt, in characters (`FLINT_MAX_PROMPT_CHARS`). */
  maxPromptChars: z.number(),
});
export type ServerLimits = z.infer<typeof ServerLimits>;

export const HelloResult = z.object({
  protocolVersion: z.number(),
  /** Absent from servers older than this field. */
  limits: ServerLimits.optional(),
});
export type HelloResult = z.infer<typeof HelloResult>;

/** What `session:join` answers: the whole document, and the inference tier in use. */
export const JoinResult = z.object({
  sessionId: z.string(),
  /** `Y.encodeStateAsUpdate` of the session's document. */
  state: Bytes(),
  /** The inference tier behind each mode. */
  tiers: z.record(TierName, TierInfo),
  /** What this person may do here. */
  role: Role,
  /** This person's public id, as presence shows it to others. */
  pid: z.string(),
});
export type JoinResult = z.infer<typeof JoinResult>;

export const HunkClaimResult = z.object({
  granted: z.array(z.string()),
  /** `decided`: already accepted or rejected; `claimed`: someone else is deciding it right now. */
  refused: z.array(z.object({ hunkId: z.string(), reason: z.enum(['decided', 'claimed']) })),
});
export type HunkClaimResult = z.infer<typeof HunkClaimResult>;

export const ProjectCreated = z.object({ sessionId: z.string(), files: z.number(), skipped: z.number() });
export type ProjectCreated = z.infer<typeof ProjectCreated>;

const Empty = z.object({}).strict();
const WithPath = z.object({ path: z.string() });
const WithStream = z.object({ streamId: z.string() });

/** What each event answers. `satisfies` makes a new event without an answer a compile error. */
export const CLIENT_EVENT_ANSWERS = {
  'session:hello': HelloResult,
  'session:create': z.object({ sessionId: z.string() }),
  'session:join': JoinResult,
  'doc:update': Empty,
  'file:create': WithPath,
  'file:rename': WithPath,
  'file:delete': WithPath,
  'ai:prompt': WithStream,
  'ai:interrupt': WithStream,
  /** The retry turn's stream id. */
  'ai:retry': WithStream,
  'ai:report': Empty,
  'tests:result': Empty,
  'awareness:update': Empty,
  /** The new link's token, answered once: only its hash is stored. */
  'link:create': z.object({ role: LinkRole, token: z.string() }),
  'link:revoke': Empty,
  /** Which of the hunks this person may decide now. */
  'hunk:claim': HunkClaimResult,
  /** The new session, owned by the sender; `files`: how many came in, `skipped`: how many were ignored. */
  'project:import': ProjectCreated,
  'project:clone': ProjectCreated,
  'project:template': ProjectCreated,
  'blob:get': z.object({ bytes: Bytes() }),
  /** The pushed branch, its commit, and where to see it (the forge's branch page when the host is known, else the repository URL). */
  'project:push': z.object({ branch: z.string(), commit: z.string(), url: z.string() }),
  /** The new agents' ids, one per attempt. */
  'agent:start': AgentStartResult,
  'agent:stop': Empty,
  'agent:result': Empty,
  /** The review turn that holds the agent's change, placed against the current files. */
  'agent:open': AgentOpenResult,
  /** The session's package.json resolved, fetched and ready to bundle (or each package's error); progress came as `packages:status`. */
  'packages:install': PackagesStatus,
} as const satisfies Record<ClientEventName, z.ZodType>;

/** Events a client may send without an acknowledgement (an error then comes as `protocol:error`). */
export const ACK_OPTIONAL = ['doc:update', 'ai:report', 'tests:result', 'awareness:update'] as const satisfies readonly ClientEventName[];

type Ack<T> = (response: Response<T>) => void;
type Payload<E extends ClientEventName> = z.input<(typeof CLIENT_EVENT_SCHEMAS)[E]>;
type Answer<E extends ClientEventName> = z.output<(typeof CLIENT_EVENT_ANSWERS)[E]>;

/** The socket.io event map of client → server, derived from the two tables above. */
export type ClientToServerEvents = {
  [E in ClientEventName]: E extends (typeof ACK_OPTIONAL)[number] ? (p: Payload<E>, ack?: Ack<Answer<E>>) => void : (p: Payload<E>, ack: Ack<Answer<E>>) => void;
};
