import { z } from '@/lib/zod';
import { LIMITS } from './limits';

/**
 * The values both directions of the protocol carry (paths, ids, roles, presence, test reports):
 * zod schemas, with their TypeScript types derived from them. The events themselves are in
 * `client-to-server.ts` and `server-to-client.ts`.
 */

/**
 * A workspace-relative path such as `src/cart.ts` or `docs/café menu.md`: any printable name
 * (Unicode and spaces included) with `/` between names; no leading `/`, no empty, `.` or `..`
 * segment, no backslash, no control or line-separator characters (they would break a patch
 * header or a terminal), no lone surrogates. The one rule for every place a path enters:
 * the server's events, project imports (server/projects/), the model's edit blocks and the file tree.
 */
export const FilePath = z
  .string()
  .min(1, 'path is empty')
  .max(LIMITS.maxPathChars, `path is longer than ${LIMITS.maxPathChars} characters`)
  .refine((p) => !p.startsWith('/'), 'path may not start with /')
  .refine((p) => !/[\p{Cc}\p{Cs}\u2028\u2029]/u.test(p), 'path may not contain control characters')
  .refine((p) => !p.includes('\\'), 'path may not contain \\ (use / between names)')
  .refine((p) => !p.split('/').some((s) => s === '' || s === '.' || s === '..' || s.trim() === ''), 'path may not contain empty, blank, . or .. segments');
export type FilePath = z.infer<typeof FilePath>;

export const SessionId = z
  .string()
  .length(LIMITS.sessionIdChars, 'session id has the wrong length')
  .regex(/^[A-Za-z0-9_-]+$/, 'session id is not base64url');

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
 * Bytes, as socket.io delivers them (a Buffer on Node, a Uint8Array view in browsers). Typed as
 * plain `Uint8Array` (any backing buffer): `z.instanceof` would narrow it to `ArrayBuffer`.
 */
export const Bytes = (message = 'expected binary data') => z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message });

/** A binary update (Yjs or awareness), not empty and at most `maxBytes`. */
export function binaryUpdate(what: string, maxBytes: number) {
  return Bytes(`expected a binary ${what}`).superRefine((u, ctx) => {
    if (u.byteLength === 0) ctx.addIssue({ code: 'custom', message: 'update is empty' });
    if (u.byteLength > maxBytes) {
      ctx.addIssue({ code: 'too_big', origin: 'file', maximum: maxBytes, inclusive: true, input: u.byteLength, message: `${what} is larger than ${maxBytes} bytes` });
    }
  });
}

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

/** Character offsets into the open file. */
export const Selection = z
  .object({ start: z.number().int().nonnegative(), end: z.number().int().nonnegative() })
  .strict()
  .refine((s) => s.start <= s.end, 'selection start is after its end');
export type Selection = z.infer<typeof Selection>;

/** `instant`: the fast tier, for small targeted edits; `deep`: a larger, slower model. */
export const TierName = z.enum(['instant', 'deep']);
export type TierName = z.infer<typeof TierName>;

export const StreamId = z.string().min(1).max(64);

/** The inference tier behind a mode (never its URL or key). */
export const TierInfo = z.object({ provider: z.string(), model: z.string() });
export type TierInfo = z.infer<typeof TierInfo>;

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


/** The starter projects a session can begin from (server/projects/templates.ts). Keep in sync with the landing page's list. */
export const TemplateName = z.enum(['ts-library', 'react-app', 'python-package']);
export type TemplateName = z.infer<typeof TemplateName>;

/** A SHA-256, lowercase hex: the name of a binary file's content in the blob store. */
export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a SHA-256 in hex');

/**
 * One direct dependency of the session's package.json as the server resolved it: `resolving`,
 * then `ready` (its bundles under `url`, on the sandbox origin) or `error` (a message naming the
 * package). Example: `{name:'zod', range:'^4', version:'4.6.7', status:'ready', url:'/_flint/pkg/zod@4.6.7~83c5…/'}`
 */
export const PackageItem = z.object({
  name: z.string().max(214),
  range: z.string().max(1000),
  version: z.string().max(256).optional(),
  status: z.enum(['resolving', 'ready', 'error']),
  url: z.string().max(600).optional(),
  /** Its `.d.ts` files for the editor: path under `node_modules/` → URL (the package's own, or @types/<name>). */
  types: z.string().max(600).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type PackageItem = z.infer<typeof PackageItem>;

export const PackagesStatus = z.object({
  items: z.array(PackageItem).max(1000),
  /** Set while the server works on this package.json. */
  resolving: z.boolean(),
  /** package.json itself could not be read (its dependencies are then taken as none). */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type PackagesStatus = z.infer<typeof PackagesStatus>;
