import type http from 'node:http';
import { normalizeOrigin } from '@/lib/sandbox/origin';
import { requestScheme } from './page-headers';

/**
 * Which pages may open Flint's socket (cross-site WebSocket hijacking). A browser always sends
 * `Origin` on a WebSocket handshake, and sends the person's identity cookie with it whatever page
 * opened it (`SameSite=Lax` keeps it off cross-*site* requests only, not off a sibling origin of
 * the same site such as the sandbox's), so the origin is what tells the IDE from anything else.
 *
 * - `null` (a sandboxed frame, a file, a data: URL) and anything not http(s): refused.
 * - The sandbox origin (`FLINT_SANDBOX_ORIGIN`): refused — it runs the session's code — unless it
 *   is also an app origin (then nothing tells the two apart: the server warns at start).
 * - With `FLINT_APP_ORIGINS` set: exactly those origins.
 * - Without it: the origin the request was sent to (its scheme and `Host`), i.e. a page this
 *   server served.
 * - No `Origin` at all: not a browser (a script holding the cookie needs no hijack); accepted.
 */
export interface OriginPolicy {
  /** FLINT_APP_ORIGINS, normalised; empty: same origin as the request. */
  appOrigins: readonly string[];
  /** FLINT_SANDBOX_ORIGIN, when set. */
  sandboxOrigin?: string;
}

/** `code`: a short label for the metric; `reason`: the log's words. */
export type OriginVerdict = { ok: true } | { ok: false; code: 'opaque' | 'scheme' | 'sandbox' | 'unlisted' | 'cross-origin'; reason: string };

/** `self`: the origin the request was sent to (`http://127.0.0.1:3000`), when it has a Host. */
export function checkOrigin(origin: string | undefined, self: string | undefined, policy: OriginPolicy): OriginVerdict {
  if (origin === undefined) return { ok: true };
  if (origin === 'null') return { ok: false, code: 'opaque', reason: 'an opaque origin ("null": a sandboxed frame, a file or a data: URL)' };
  const normal = normalizeOrigin(origin);
  if (!normal) return { ok: false, code: 'scheme', reason: 'not an http(s) origin' };
  if (policy.sandboxOrigin && normal === policy.sandboxOrigin && !policy.appOrigins.includes(normal)) return { ok: false, code: 'sandbox', reason: 'the sandbox origin (FLINT_SANDBOX_ORIGIN), which runs session code' };
  if (policy.appOrigins.length) {
    return policy.appOrigins.includes(normal) ? { ok: true } : { ok: false, code: 'unlisted', reason: 'not one of FLINT_APP_ORIGINS' };
  }
  if (self && normal === normalizeOrigin(self)) return { ok: true };
  return { ok: false, code: 'cross-origin', reason: 'another origin than this server (set FLINT_APP_ORIGINS to allow it)' };
}

/**
 * socket.io's `allowRequest` for the policy: a refused handshake gets HTTP 403 before any
 * socket exists, and one log line per reason and second (a flood does not flood the log).
 */
export function originGate(policy: OriginPolicy, onRefused: (code: string) => void) {
  const lastLogged = new Map<string, number>();
  return (req: http.IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
    const origin = req.headers.origin;
    const host = req.headers.host;
    const verdict = checkOrigin(origin, host ? `${requestScheme(req)}://${host}` : undefined, policy);
    if (verdict.ok) return callback(null, true);
    onRefused(verdict.code);
    const now = Date.now();
    if ((lastLogged.get(verdict.reason) ?? 0) < now - 1000) {
      lastLogged.set(verdict.reason, now);
      console.warn(`[flint] refused a socket handshake from origin ${JSON.stringify(origin)} (${req.socket.remoteAddress}): ${verdict.reason}`);
    }
    callback('origin not allowed', false);
  };
}
