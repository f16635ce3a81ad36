import { randomBytes } from 'node:crypto';
import type { BrowserContext } from '@playwright/test';

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
