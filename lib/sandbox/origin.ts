/**
 * Where the test sandbox document is served from, and which pages may embed it. Pure: shared by
 * the IDE page (sandbox-client.ts), the sandbox route (app/sandbox/route.ts) and their tests.
 *
 * Why another origin: a browser with site isolation gives a frame of another *site* (scheme +
 * registrable domain; the port does not count) its own renderer process, so a test that exhausts
 * memory kills only the sandbox's process, not the IDE page. `localhost` and `127.0.0.1` are
 * different sites that reach the same server, so by default an IDE opened at one uses the other
 * for its sandbox. For any other host the sandbox stays on the IDE's own origin unless
 * `FLINT_SANDBOX_ORIGIN` names one (README → Configuration); isolation then depends on the
 * browser (Chromium also isolates sandboxed frames of the same site; others may not).
 */

const LOOPBACK_PAIR: Record<string, string> = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' };

/** `http://localhost:3000` ↔ `http://127.0.0.1:3000`; null for any other origin. */
export function loopbackCounterpart(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  const other = LOOPBACK_PAIR[url.hostname];
  if (!other || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null;
  url.hostname = other;
  return url.origin;
}

/** `origin` as an http(s) origin (`scheme://host[:port]`), or null when it is not one. */
export function normalizeOrigin(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return null;
  return url.origin;
}

export interface SandboxPlacement {
  /** The origin the sandbox document is loaded from. */
  origin: string;
  /**
   * True when that origin is another site than the IDE's, so browsers with site isolation run
   * the sandbox (and its workers) in a process of its own.
   */
  ownProcess: boolean;
}

/** The site of an http(s) origin, roughly: its host without the port (enough for the hosts compared here). */
function hostOf(origin: string): string {
  return new URL(origin).hostname;
}

/**
 * Where the IDE page at `ideOrigin` loads its sandbox from: the configured origin, else the
 * loopback counterpart, else its own origin.
 */
export function placeSandbox(ideOrigin: string, configured: string | null | undefined): SandboxPlacement {
  const origin = (configured && normalizeOrigin(configured)) || loopbackCounterpart(ideOrigin) || ideOrigin;
  // Same host = same site for sure; different hosts may still be one site (a.example.com and
  // b.example.com): README says to pick another registrable domain.
  return { origin, ownProcess: hostOf(origin) !== hostOf(ideOrigin) };
}

/** The sandbox document's URL for an IDE page at `ideOrigin` (the route checks `ide`). */
export function sandboxUrl(placement: SandboxPlacement, ideOrigin: string): string {
  return `${placement.origin}/sandbox?ide=${encodeURIComponent(ideOrigin)}`;
}

/**
 * The IDE origin a request for the sandbox document may be embedded by, or null. `ide` is what
 * the IDE page said it is (`?ide=`); `requestHost` the request's Host header (`host[:port]`).
 * Allowed: the sandbox's own origin (served same-origin), the loopback counterpart of the
 * request's host (the default pairing), and the configured `appOrigins`.
 */
export function allowedParent(ide: string | null, requestHost: string | null, appOrigins: readonly string[]): string | null {
  const parent = ide ? normalizeOrigin(ide) : null;
  if (!parent) return null;
  if (appOrigins.includes(parent)) return parent;
  if (!requestHost) return null;
  const url = new URL(parent);
  if (url.host === requestHost) return parent;
  const counterpart = loopbackCounterpart(parent);
  if (counterpart && new URL(counterpart).host === requestHost) return parent;
  return null;
}

/**
 * The sandbox settings on the server side of Next (the session page, the /sandbox route), as
 * `server/edge/http.ts` validated them at start and left them in the environment.
 */
export function sandboxSettingsFromEnv(env: Record<string, string | undefined> = process.env): { origin?: string; appOrigins: string[] } {
  const origin = env.FLINT_SANDBOX_ORIGIN ? normalizeOrigin(env.FLINT_SANDBOX_ORIGIN) ?? undefined : undefined;
  const appOrigins = (env.FLINT_APP_ORIGINS ?? '')
    .split(',')
    .map((o) => normalizeOrigin(o.trim()))
    .filter((o): o is string => o !== null);
  return { origin, appOrigins };
}
