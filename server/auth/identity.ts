import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';

/**
 * Anonymous identity: a random id (192 bits from the CSPRNG) in an HttpOnly cookie, set on the
 * first page request. It is a bearer credential — whoever holds it is recognised as the owner of
 * the sessions it created — so it never leaves the server in any payload; others see `publicId`.
 */
export const IDENTITY_COOKIE = 'flint_id';
/**
 * The cookie's name over https: the `__Host-` prefix makes the browser refuse it unless it is
 * Secure, for this exact host and path `/` — no sibling subdomain or plain-http page can set or
 * overwrite it (cookie tossing). Plain http (localhost) keeps the bare name, which browsers accept there.
 */
export const SECURE_IDENTITY_COOKIE = `__Host-${IDENTITY_COOKIE}`;
const ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;
const ONE_YEAR_S = 365 * 24 * 3600;

export function newIdentityId(): string {
  return randomBytes(24).toString('base64url');
}

export function isIdentityId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** The id presence shows for a person: derived one way from the identity, so it cannot be used as one. */
export function publicId(identityId: string): string {
  return createHash('sha256').update(`flint-pid:${identityId}`).digest('base64url').slice(0, 16);
}

/** Cookie values by name from a `Cookie` header (the first of duplicate names wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!name || out.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    out.set(name, value);
  }
  return out;
}

/** The identity id in a `Cookie` header, when there is a well-formed one (the `__Host-` one first). */
export function identityFromCookie(header: string | undefined): string | undefined {
  const cookies = parseCookies(header);
  for (const name of [SECURE_IDENTITY_COOKIE, IDENTITY_COOKIE]) {
    const id = cookies.get(name);
    if (isIdentityId(id)) return id;
  }
  return undefined;
}

export function identityCookie(id: string, secure: boolean): string {
  const name = secure ? SECURE_IDENTITY_COOKIE : IDENTITY_COOKIE;
  return `${name}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${ONE_YEAR_S}${secure ? '; Secure' : ''}`;
}

/**
 * Gives a request without a valid identity cookie a new one: `Set-Cookie` on the response, and
 * the request's own `Cookie` header updated so the page rendered for it already has it.
 * Called by `server/edge/http.ts` for every HTTP request before Next.js handles it.
 */
export function ensureIdentity(req: http.IncomingMessage, res: http.ServerResponse): string {
  const existing = identityFromCookie(req.headers.cookie);
  if (existing) return existing;
  const id = newIdentityId();
  const secure = req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true;
  res.appendHeader('Set-Cookie', identityCookie(id, secure));
  // Whatever else answers this response, it is one person's: never kept by a shared cache.
  res.setHeader('Cache-Control', 'private, no-store');
  const pair = `${secure ? SECURE_IDENTITY_COOKIE : IDENTITY_COOKIE}=${id}`;
  req.headers.cookie = req.headers.cookie ? `${req.headers.cookie}; ${pair}` : pair;
  return id;
}
