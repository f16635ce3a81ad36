import { io } from 'socket.io-client';
import * as Y from 'yjs';
import { filesOf, listFiles, readFile } from '@/lib/collab/workspace-doc';
import type { FlintSocket } from '@/lib/client/connection';
import { hello, SessionRuntime } from '@/lib/client/session-runtime';
import { CLIENT_EVENT_ANSWERS, SERVER_EVENT_SCHEMAS, type Response, type ServerToClientEvents } from '@/lib/protocol';
import { createIdeStore } from '@/lib/stores/ide-store';
import { IDENTITY_COOKIE, newIdentityId } from '@/server/auth/identity';

/**
 * Tests only: the one protocol test client — sockets speaking Flint's wire protocol as a browser
 * does, for the unit/integration tests, the reliability suites and their load workers, and the
 * Playwright peers in `e2e/fixtures.ts`. Built on the product's client: the socket type of
 * `lib/client/connection.ts` and `hello()` of `lib/client/session-runtime.ts`.
 *
 * - `connectClient` / `helloClient` / `joinedClient`: a socket connected, then after hello, then
 *   joined to a (new) session, as one person (`TEST_IDENTITY` unless given another);
 * - `request` / `nextEvent`: any event with an acknowledgement; the next matching server event;
 * - `EditingClient`: a participant with its own Y.Doc, as a browser tab is one;
 * - `runtimeOn`: the browser's own `SessionRuntime` in Node on such a socket.
 */
export type TestClient = FlintSocket;

/**
 * The person test clients are by default: every client without an explicit identity sends this
 * identity cookie, so a session one client creates is owned by the others too (like two tabs of
 * one browser). Role tests pass `newIdentity()` for other people.
 */
export const TEST_IDENTITY = newIdentityId();
export const newIdentity = newIdentityId;

export interface ClientOptions {
  /** The identity cookie to send; null: none (the server gives the connection a one-off identity). */
  identity?: string | null;
  /** How long hello, create and join may take (a load test's server is busy); default 5 s. */
  timeoutMs?: number;
  /** The handshake's `Origin`, as a browser page would send it; default: none (not a browser). */
  origin?: string;
}

const clients: TestClient[] = [];

/** The `Cookie` header value that makes a socket (or a browser context) the person `identity`. */
export function identityCookie(identity: string): string {
  return `${IDENTITY_COOKIE}=${identity}`;
}

/** A socket as the page opens one (websocket only), without the page's reconnection: tests reconnect themselves. */
export function openSocket(url: string, opts: ClientOptions = {}): TestClient {
  const identity = opts.identity === undefined ? TEST_IDENTITY : opts.identity;
  const socket: TestClient = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: { ...(identity ? { cookie: identityCookie(identity) } : {}), ...(opts.origin ? { origin: opts.origin } : {}) },
  });
  clients.push(socket);
  return socket;
}

export function connectClient(url: string, opts: ClientOptions = {}): Promise<TestClient> {
  const socket = openSocket(url, opts);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Disconnects every socket opened here so far (an `afterEach` of most suites). */
export function closeClients() {
  for (const c of clients.splice(0)) c.disconnect();
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Emits any event with any arguments (hostile ones too) and waits for the acknowledgement. An
 * `{ok:true}` answer to a known event must match its schema in `CLIENT_EVENT_ANSWERS`, so every
 * test that makes a request also checks the server against the protocol.
 */
export function request<T = unknown>(socket: TestClient, event: string, ...args: unknown[]): Promise<Response<T>> {
  return requestWithin<T>(5000, socket, event, ...args);
}

export async function requestWithin<T = unknown>(timeoutMs: number, socket: TestClient, event: string, ...args: unknown[]): Promise<Response<T>> {
  const r = await (socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<Response<T>> } })
    .timeout(timeoutMs)
    .emitWithAck(event, ...args);
  const answer = (CLIENT_EVENT_ANSWERS as Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }>)[event];
  if (r.ok && answer) {
    const checked = answer.safeParse(r.data);
    if (!checked.success) throw new Error(`${event} answered data that does not match its schema: ${String(checked.error)}`);
  }
  return r;
}

export async function helloClient(url: string, opts: ClientOptions = {}): Promise<TestClient> {
  const socket = await connectClient(url, opts);
  const r = await within(hello(socket), opts.timeoutMs ?? 5000, 'session:hello');
  if (!r.ok) throw new Error(`hello failed: ${r.error.message}`);
  return socket;
}

export interface JoinedClient {
  socket: TestClient;
  sessionId: string;
  /** The session's document as the join answer sent it, with any update that arrived with that answer. */
  state: Uint8Array;
  role: string;
}

/** A client that said hello, created a session (none given) and joined it (with `token`, when given). */
export async function joinedClient(url: string, sessionId?: string, opts: ClientOptions & { token?: string } = {}): Promise<JoinedClient> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const socket = await helloClient(url, opts);
  if (!sessionId) {
    const created = await requestWithin<{ sessionId: string }>(timeoutMs, socket, 'session:create', {});
    if (!created.ok) throw new Error(created.error.message);
    sessionId = created.data.sessionId;
  }
  // An update broadcast right after the join answer can be read in the same turn of the event
  // loop, before whoever awaits this could listen: keep it in the state returned.
  const early: Uint8Array[] = [];
  const onEarly = (u: Uint8Array) => early.push(new Uint8Array(u));
  socket.on('doc:update', onEarly);
  try {
    const joined = await requestWithin<{ state: Uint8Array; role: string }>(timeoutMs, socket, 'session:join', opts.token === undefined ? { sessionId } : { sessionId, token: opts.token });
    if (!joined.ok) throw new Error(`${joined.error.code}: ${joined.error.message}`);
    const state = new Uint8Array(joined.data.state);
    return { socket, sessionId, state: early.length ? Y.mergeUpdates([state, ...early]) : state, role: joined.data.role };
  } finally {
    socket.off('doc:update', onEarly);
  }
}

export function nextEvent<E extends keyof ServerToClientEvents>(
  socket: TestClient,
  event: E,
  filter: (...args: Parameters<ServerToClientEvents[E]>) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Parameters<ServerToClientEvents[E]>> {
  return new Promise((resolve, reject) => {
    const s = socket as unknown as { on(e: string, f: (...a: never[]) => void): void; off(e: string, f: (...a: never[]) => void): void };
    const timer = setTimeout(() => {
      s.off(event, fn);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const fn = (...args: never[]) => {
      // Whatever the test waits for, the server must have sent it in the protocol's shape.
      const checked = SERVER_EVENT_SCHEMAS[event].safeParse(args[0]);
      if (!checked.success) {
        clearTimeout(timer);
        s.off(event, fn);
        return reject(new Error(`${event} does not match its schema: ${String(checked.error)}`));
      }
      if (!filter(...(args as unknown as Parameters<ServerToClientEvents[E]>))) return;
      clearTimeout(timer);
      s.off(event, fn);
      resolve(args as unknown as Parameters<ServerToClientEvents[E]>);
    };
    s.on(event, fn);
  });
}

const REMOTE = Symbol('remote');

/**
 * A participant as a browser is one — its own Y.Doc, every local change sent as `doc:update`
 * with an acknowledgement, every incoming update applied. Each edit is one whole line
 * `<name>:<n>` inserted at the start of a random line, so concurrent edits never split one
 * another and each can be found afterwards (`linesIn`).
 */
export class EditingClient {
  readonly doc = new Y.Doc();
  /** Edits whose `doc:update` was acknowledged `ok`. */
  readonly acked: string[] = [];
  private sent = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly socket: TestClient,
    state: Uint8Array,
    readonly name: string,
    private readonly path = 'src/cart.ts',
  ) {
    Y.applyUpdate(this.doc, state, REMOTE);
    socket.on('doc:update', (u) => Y.applyUpdate(this.doc, new Uint8Array(u), REMOTE));
  }

  /** Joins `sessionId` (a new session when none) over a new socket (see `joinedClient`). */
  static async join(url: string, sessionId: string | undefined, name: string, opts: ClientOptions & { token?: string } = {}): Promise<EditingClient> {
    const j = await joinedClient(url, sessionId, opts);
    return new EditingClient(j.socket, j.state, name);
  }

  /** Inserts the next line; resolves with it once acknowledged (rejects on an error answer). */
  edit(random: () => number = Math.random): Promise<string> {
    const line = `${this.name}:${this.sent++}`;
    const text = filesOf(this.doc).get(this.path)!;
    const s = text.toString();
    const starts = [0];
    for (let i = s.indexOf('\n'); i !== -1 && i < s.length - 1; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
    let update: Uint8Array | null = null;
    const grab = (u: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE) update = u;
    };
    this.doc.on('update', grab);
    text.insert(starts[Math.floor(random() * starts.length)], `${line}\n`);
    this.doc.off('update', grab);
    const p = this.send(update!).then(() => {
      this.acked.push(line);
      return line;
    });
    const tracked = p.then(
      () => {},
      () => {},
    );
    this.inFlight.add(tracked);
    void tracked.then(() => this.inFlight.delete(tracked));
    return p;
  }

  send(update: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      (this.socket as unknown as { emit(e: string, u: Uint8Array, ack: (r: Response<unknown>) => void): void }).emit('doc:update', update, (r) => {
        if (r.ok) resolve();
        else reject(new Error(`${r.error.code}: ${r.error.message}`));
      });
    });
  }

  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.all(this.inFlight);
  }

  /** The text of the file it edits, or of `path`: '' when there is no such file. */
  text(path = this.path): string {
    return readFile(this.doc, path) ?? '';
  }

  files(): string[] {
    return listFiles(this.doc);
  }

  close(): void {
    this.socket.disconnect();
    this.doc.destroy();
  }
}

/** The edit lines present in `text`. */
export function linesIn(text: string): Set<string> {
  return new Set(text.split('\n'));
}

/**
 * The browser's `SessionRuntime` joining `sessionId` on the server at `url`, as the test identity,
 * for tests of what the page does. The runtime paints once per animation frame: Node has none, so
 * a timer stands in — installed for the rest of the process (each test file runs in its own), as
 * a runtime may still ask for a frame on an event that arrives after its test closed it.
 */
export function runtimeOn(url: string, sessionId: string) {
  const g = globalThis as { requestAnimationFrame?: (cb: () => void) => unknown };
  g.requestAnimationFrame ??= (cb) => setTimeout(cb, 0);
  const socket = openSocket(url);
  const store = createIdeStore();
  const runtime = new SessionRuntime(socket, store, sessionId);
  return { socket, store, runtime, close: () => (runtime.dispose(), socket.disconnect()) };
}
