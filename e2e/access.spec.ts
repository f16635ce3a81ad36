import { randomBytes } from 'node:crypto';
import { expect, test, connectHello, IDENTITY_COOKIE } from './fixtures';

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/**
 * The session page /s/<id> to a stranger (test/reliability/access.test.ts covers the socket):
 * the server sends the same page whatever the id and token — it reads neither; the browser then
 * asks to join over the socket, which decides.
 */

/** A session of someone else, with a view link that was revoked. */
async function strangersSession(): Promise<{ id: string; revoked: string }> {
  const socket = await connectHello(`${IDENTITY_COOKIE}=${randomBytes(24).toString('base64url')}`);
  try {
    const call = async <T,>(event: string, payload: unknown): Promise<T> => {
      const r = (await socket.timeout(5000).emitWithAck(event, payload)) as Ack<T>;
      if (!r.ok) throw new Error(`${event}: ${r.error.code} ${r.error.message}`);
      return r.data;
    };
    const { sessionId } = await call<{ sessionId: string }>('session:create', {});
    await call('session:join', { sessionId });
    const { token } = await call<{ token: string }>('link:create', { role: 'viewer' });
    await call('link:revoke', { role: 'viewer' });
    return { id: sessionId, revoked: token };
  } finally {
    socket.disconnect();
  }
}

test.describe('the session page to a stranger', () => {
  test('is the same page for an unknown session and for one they may not open, with no token, a revoked or a forged one @reliability', async ({ request }) => {
    const { id, revoked } = await strangersSession();
    const unknown = randomBytes(16).toString('base64url');
    const forged = randomBytes(32).toString('base64url');
    const cases = [
      { id, t: undefined },
      { id, t: revoked },
      { id, t: forged },
      { id: unknown, t: undefined },
      { id: unknown, t: forged },
    ];
    const pages: Array<{ status: number; headers: Record<string, string>; body: string }> = [];
    for (const c of cases) {
      const res = await request.get(c.t ? `/s/${c.id}?t=${c.t}` : `/s/${c.id}`);
      // Per response, not per session: the date, the identity cookie a first visit gets, the etag of the raw body.
      // And the CSP nonce, fresh on every response, in the header and on every script (its use is e2e/security.spec.ts's).
      const headers = Object.fromEntries(Object.entries(res.headers()).filter(([k]) => !['date', 'set-cookie', 'etag'].includes(k)));
      const nonce = /'nonce-([^']+)'/.exec(headers['content-security-policy'] ?? '')?.[1];
      expect(nonce, 'a nonce CSP').toBeTruthy();
      headers['content-security-policy'] = headers['content-security-policy'].replaceAll(nonce!, '<nonce>');
      let body = (await res.text()).replaceAll(c.id, '<id>').replaceAll(nonce!, '<nonce>');
      if (c.t) body = body.replaceAll(c.t, '<token>');
      pages.push({ status: res.status(), headers, body });
    }
    expect(pages[0].status).toBe(200);
    // The page never carries the session's content.
    expect(pages[0].body).not.toContain('cart.ts');
    for (const [i, p] of pages.entries()) {
      expect(p.status, `case ${i}`).toBe(pages[0].status);
      expect(p.headers, `case ${i}`).toEqual(pages[0].headers);
    }
    // With a token and without, the page differs only where the token is echoed (the ?t= is read in the browser).
    expect(pages[1].body).toBe(pages[2].body);
    expect(pages[4].body).toBe(pages[2].body);
    expect(pages[3].body).toBe(pages[0].body);
  });

  test('in the browser: a clear refusal and nothing of the session, whether it exists or not @reliability', async ({ workspace: ws }) => {
    const { id, revoked } = await strangersSession();
    const unknown = randomBytes(16).toString('base64url');
    const forged = randomBytes(32).toString('base64url');
    // Which one is refused how: the socket tells an id that was never created (sessionNotFound)
    // from one that exists (a link is needed / not valid). Ids are 128 random bits and sessions
    // are never deleted, so only someone who already holds an id can ask — and they learn nothing
    // they did not know; a mistyped URL gets "does not exist" (see test/reliability/CONTEXT.md).
    const cases: Array<[string, string | undefined, string]> = [
      [id, undefined, 'linkRequired'],
      [id, revoked, 'linkInvalid'],
      [id, forged, 'linkInvalid'],
      [unknown, undefined, 'sessionNotFound'],
      [unknown, forged, 'sessionNotFound'],
    ];
    for (const [sessionId, token, code] of cases) {
      await ws.page.goto(token ? `/s/${sessionId}?t=${token}` : `/s/${sessionId}`);
      await expect(ws.errorBanner).toHaveAttribute('data-code', code);
      await expect(ws.page.getByRole('heading')).toBeVisible();
      await expect(ws.editor).toHaveCount(0);
      await expect(ws.fileTree).toHaveCount(0);
      await expect(ws.page.locator('body')).not.toContainText('cart.ts');
    }
  });
});
