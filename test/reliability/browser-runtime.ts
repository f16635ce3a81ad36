import { after, before } from 'node:test';
import { io as connect } from 'socket.io-client';
import { createIdeStore } from '@/lib/stores/ide-store';
import { SessionRuntime } from '@/lib/client/session-runtime';
import type { FlintSocket } from '@/lib/client/connection';
import { IDENTITY_COOKIE } from '../../server/auth/identity';
import { TEST_IDENTITY } from '../support/test-server';

/**
 * The browser's SessionRuntime in Node, over a real socket, for tests of what the page does.
 * Call `withAnimationFrames()` in a describe: the runtime paints once per animation frame.
 */
export function withAnimationFrames() {
  const g = globalThis as { requestAnimationFrame?: (cb: () => void) => unknown };
  let installed = false;
  before(() => {
    if (!g.requestAnimationFrame) {
      g.requestAnimationFrame = (cb) => setTimeout(cb, 0);
      installed = true;
    }
  });
  after(() => {
    if (installed) delete g.requestAnimationFrame;
  });
}

/** A runtime joining `sessionId` on the server at `url`, as the test identity. */
export function runtimeOn(url: string, sessionId: string) {
  const socket = connect(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie: `${IDENTITY_COOKIE}=${TEST_IDENTITY}` } }) as unknown as FlintSocket;
  const store = createIdeStore();
  const runtime = new SessionRuntime(socket, store, sessionId);
  return { socket, store, runtime, close: () => (runtime.dispose(), socket.disconnect()) };
}
