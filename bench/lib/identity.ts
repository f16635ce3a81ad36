import { randomBytes } from 'node:crypto';
import type { BrowserContext } from '@playwright/test';
import { io } from 'socket.io-client';
import { PROTOCOL_VERSION } from '../../lib/protocol/version';

/**
 * One person for the whole benchmark run: the same anonymous identity cookie (server/auth/
 * identity.ts) in every browser context and on every protocol client, so the sessions the bench
 * creates over the protocol are owned by the pages that open them (a bare /s/<id> is owner-only).
 */
const NAME = 'flint_id';
const VALUE = randomBytes(24).toString('base64url');

/** The `cookie` header for socket.io clients (`extraHeaders`). */
export const BENCH_COOKIE = `${NAME}=${VALUE}`;

export async function useBenchIdentity(context: BrowserContext, url: string): Promise<void> {
  await context.addCookies([{ name: NAME, value: VALUE, url, httpOnly: true, sameSite: 'Lax' }]);
}

type Call = <T>(event: string, payload: unknown) => Promise<T>;

/**
 * Creates a session over the protocol as the bench's person and returns its id; `prepare` may
 * then change it through the same (joined) connection, e.g. replace its files.
 */
export async function createBenchSession(url: string, prepare?: (call: Call) => Promise<void>): Promise<string> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: BENCH_COOKIE } });
  type Ack<T> = { ok: true; data: T } | { ok: false; error: { message: string } };
  const call: Call = async <T>(event: string, payload: unknown): Promise<T> => {
    const r = (await socket.timeout(10_000).emitWithAck(event, payload)) as Ack<T>;
    if (!r.ok) throw new Error(`${event}: ${r.error.message}`);
    return r.data;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    await call('session:hello', { protocolVersion: PROTOCOL_VERSION });
    const { sessionId } = await call<{ sessionId: string }>('session:create', {});
    if (prepare) {
      await call('session:join', { sessionId });
      await prepare(call);
    }
    return sessionId;
  } finally {
    socket.disconnect();
  }
}
