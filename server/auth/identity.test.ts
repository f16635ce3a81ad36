import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { ensureIdentity, IDENTITY_COOKIE, identityFromCookie, newIdentityId, SECURE_IDENTITY_COOKIE } from './identity';

function exchange(opts: { cookie?: string; https?: boolean }) {
  const headers: Record<string, string | string[]> = {};
  const req = { headers: { ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(opts.https ? { 'x-forwarded-proto': 'https' } : {}) }, socket: {} } as unknown as http.IncomingMessage;
  const res = {
    appendHeader: (k: string, v: string) => void (headers[k.toLowerCase()] = v),
    setHeader: (k: string, v: string) => void (headers[k.toLowerCase()] = v),
  } as unknown as http.ServerResponse;
  return { req, res, headers };
}

describe('identity cookie', () => {
  it('over http: HttpOnly, SameSite=Lax, and the response may not be kept by a shared cache', () => {
    const x = exchange({});
    const id = ensureIdentity(x.req, x.res);
    assert.equal(x.headers['set-cookie'], `${IDENTITY_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000`);
    assert.equal(x.headers['cache-control'], 'private, no-store');
    assert.equal(identityFromCookie(x.req.headers.cookie), id, 'the page rendered for this request already has it');
  });
  it('over https: the __Host- name, Secure, no Domain', () => {
    const x = exchange({ https: true });
    const id = ensureIdentity(x.req, x.res);
    const cookie = String(x.headers['set-cookie']);
    assert.ok(cookie.startsWith(`${SECURE_IDENTITY_COOKIE}=${id}; Path=/;`));
    assert.match(cookie, /; Secure$/);
    assert.doesNotMatch(cookie, /Domain=/i);
  });
  it('an existing identity is kept and nothing is set; the __Host- one wins over a tossed bare cookie', () => {
    const real = newIdentityId();
    const tossed = newIdentityId();
    const x = exchange({ cookie: `${IDENTITY_COOKIE}=${tossed}; ${SECURE_IDENTITY_COOKIE}=${real}` });
    assert.equal(ensureIdentity(x.req, x.res), real);
    assert.equal(x.headers['set-cookie'], undefined);
    assert.equal(identityFromCookie(`${IDENTITY_COOKIE}=not-an-id`), undefined);
  });
});
