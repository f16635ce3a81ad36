import { randomBytes } from 'node:crypto';
import { test as base, expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { io, type Socket } from 'socket.io-client';
import type { SimRule } from '../server/sim/sim-server';
import { IDENTITY_COOKIE } from '../server/auth/identity';
import * as Y from 'yjs';
import { PROTOCOL_VERSION } from '../lib/protocol/version';
import { listFiles, readFile } from '../lib/collab/workspace-doc';
import { APP_URL, SIM_URL } from './env';

export { expect };

export type StreamStatus = 'idle' | 'queued' | 'streaming' | 'done' | 'interrupted' | 'error';

/** A word no other test (or earlier retry) uses: put it in the prompt and in the sim rule's `match`. */
export function uniqueMarker(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

// ---------------------------------------------------------------------------------------------
// The simulator's test API (the fast tier embedded in the server under test).

/** What a test may script; the simulator validates it with the same schema. */
export type { SimRule };

export interface SimStats {
  requests: number;
  completed: number;
  aborted: number;
  active: number;
  /** WebSocket connections opened to the simulator (Responses mode). */
  wsConnections: number;
}

async function simFetch(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${SIM_URL}${path}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`simulator ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export const sim = {
  /** Adds a rule. Give it a `match` unique to the test, so tests never answer each other's prompts. */
  async rule(rule: SimRule): Promise<void> {
    await simFetch('POST', '/_sim/rules', rule);
  },
  async clearRules(): Promise<void> {
    await simFetch('DELETE', '/_sim/rules');
  },
  async stats(): Promise<SimStats> {
    return (await simFetch('GET', '/_sim/stats')) as SimStats;
  },
};

// ---------------------------------------------------------------------------------------------
// A second participant speaking the wire protocol from Node: it reads the session's document as
// the server holds it, i.e. exactly what a browser's editor has synced. Read-only: it never sends
// document updates.

type AckResponse<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };

/** The anonymous identity cookie (server/auth/identity.ts); keep the name in sync. */
export { IDENTITY_COOKIE };

/**
 * The identity of a browser context, as a `Cookie` header value: a protocol peer sending it is
 * the same person as the browser (so it owns what the browser created, and the other way round).
 * A context that has not loaded a page yet gets one now.
 */
export async function identityOf(context: BrowserContext): Promise<string> {
  let id = (await context.cookies(APP_URL)).find((c) => c.name === IDENTITY_COOKIE)?.value;
  if (!id) {
    id = randomBytes(24).toString('base64url');
    await context.addCookies([{ name: IDENTITY_COOKIE, value: id, url: APP_URL, httpOnly: true, sameSite: 'Lax' }]);
  }
  return `${IDENTITY_COOKIE}=${id}`;
}

export async function connectHello(cookie?: string): Promise<Socket> {
  const socket = io(APP_URL, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: cookie ? { cookie } : undefined });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const hi = (await socket.timeout(5000).emitWithAck('session:hello', { protocolVersion: PROTOCOL_VERSION })) as AckResponse<unknown>;
  if (!hi.ok) {
    socket.disconnect();
    throw new Error(`session:hello failed: ${hi.error.code} ${hi.error.message}`);
  }
  return socket;
}

/**
 * A new session owned by `page`'s person, holding `files` (path → text), made over the wire
 * protocol; returns its id, for `Workspace.open`.
 */
export async function sessionWith(page: Page, files: Record<string, string>): Promise<string> {
  const socket = await connectHello(await identityOf(page.context()));
  try {
    const call = async <T,>(event: string, payload: unknown): Promise<T> => {
      const r = (await socket.timeout(5000).emitWithAck(event, payload)) as AckResponse<T>;
      if (!r.ok) throw new Error(`${event}: ${r.error.code} ${r.error.message}`);
      return r.data;
    };
    const { sessionId } = await call<{ sessionId: string }>('session:create', {});
    await call('session:join', { sessionId });
    for (const [path, content] of Object.entries(files)) await call('file:create', { path, content });
    return sessionId;
  } finally {
    socket.disconnect();
  }
}

export class SessionPeer {
  readonly doc = new Y.Doc();

  private constructor(private readonly socket: Socket) {}

  /** Creates a session over the protocol and returns its id; `cookie` (see `identityOf`): who owns it. */
  static async createSession(cookie?: string): Promise<string> {
    const socket = await connectHello(cookie);
    try {
      const r = (await socket.timeout(5000).emitWithAck('session:create', {})) as AckResponse<{ sessionId: string }>;
      if (!r.ok) throw new Error(`session:create failed: ${r.error.code} ${r.error.message}`);
      return r.data.sessionId;
    } finally {
      socket.disconnect();
    }
  }

  /** Joins as the person `cookie` identifies (the owner, for a browser's own session), or with a link `token`. */
  static async join(sessionId: string, opts: { cookie?: string; token?: string } = {}): Promise<SessionPeer> {
    const socket = await connectHello(opts.cookie);
    const peer = new SessionPeer(socket);
    socket.on('doc:update', (update: ArrayBuffer | Uint8Array) => Y.applyUpdate(peer.doc, new Uint8Array(update)));
    const payload = opts.token === undefined ? { sessionId } : { sessionId, token: opts.token };
    const r = (await socket.timeout(5000).emitWithAck('session:join', payload)) as AckResponse<{ state: ArrayBuffer | Uint8Array }>;
    if (!r.ok) {
      socket.disconnect();
      throw new Error(`session:join failed: ${r.error.code} ${r.error.message}`);
    }
    Y.applyUpdate(peer.doc, new Uint8Array(r.data.state));
    return peer;
  }

  /** Edits a file as another person would: the change goes to the server like any client's. */
  replace(path: string, from: string, to: string): void {
    const text = this.doc.getMap<Y.Text>('files').get(path);
    const at = text?.toString().indexOf(from) ?? -1;
    if (!text || at < 0) throw new Error(`${from} is not in ${path}`);
    const before = Y.encodeStateVector(this.doc);
    this.doc.transact(() => {
      text.delete(at, from.length);
      text.insert(at, to);
    });
    this.socket.emit('doc:update', Y.encodeStateAsUpdate(this.doc, before));
  }

  /** The file's full text as the server has it, or undefined when there is no such file. */
  text(path: string): string | undefined {
    return readFile(this.doc, path);
  }

  files(): string[] {
    return listFiles(this.doc);
  }

  close(): void {
    this.socket.disconnect();
    this.doc.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// The workspace page.

export class Workspace {
  constructor(readonly page: Page) {}

  get fileTree(): Locator {
    return this.page.getByTestId('file-tree');
  }
  get fileItems(): Locator {
    return this.page.getByTestId('file-item');
  }
  fileItem(path: string): Locator {
    return this.page.locator(`[data-testid="file-item"][data-path="${path}"]`);
  }
  get newFileButton(): Locator {
    return this.page.getByTestId('new-file');
  }
  get fileNameInput(): Locator {
    return this.page.getByTestId('file-name-input');
  }
  get fileNameError(): Locator {
    return this.page.getByTestId('file-name-error');
  }
  get editor(): Locator {
    return this.page.getByTestId('editor');
  }
  get promptInput(): Locator {
    return this.page.getByTestId('prompt-input');
  }
  get promptSubmit(): Locator {
    return this.page.getByTestId('prompt-submit');
  }
  get interruptButton(): Locator {
    return this.page.getByTestId('interrupt');
  }
  get streamStatus(): Locator {
    return this.page.getByTestId('stream-status');
  }
  get ttft(): Locator {
    return this.page.getByTestId('metric-ttft');
  }
  get tps(): Locator {
    return this.page.getByTestId('metric-tps');
  }
  get errorBanner(): Locator {
    return this.page.getByTestId('error-banner');
  }
  get connectionStatus(): Locator {
    return this.page.getByTestId('connection-status');
  }
  get providerStatus(): Locator {
    return this.page.getByTestId('provider-status');
  }
  /** Added text painted in the editor: `live` for the block streaming now, `pending` for hunks. */
  addedZones(kind?: 'live' | 'pending'): Locator {
    return this.page.locator(`[data-testid="editor"] [data-testid="diff-added"]${kind ? `[data-kind="${kind}"]` : ''}`);
  }
  /** Lines marked as removed by a proposed change. */
  get removedLines(): Locator {
    return this.page.locator('[data-testid="editor"] .flint-removed');
  }
  get hunks(): Locator {
    return this.page.getByTestId('hunk');
  }
  get turns(): Locator {
    return this.page.getByTestId('turn');
  }

  /** The session id from the URL. */
  get sessionId(): string {
    const m = /\/s\/([^/?#]+)/.exec(new URL(this.page.url()).pathname);
    if (!m) throw new Error(`not on a session page: ${this.page.url()}`);
    return m[1];
  }

  /** Landing page → `new-session` → `/s/<id>`, joined and with Monaco loaded. Returns the id. */
  async newSession(): Promise<string> {
    await this.page.goto('/');
    await this.page.getByTestId('new-session').click();
    await this.page.waitForURL(/\/s\/[A-Za-z0-9_-]{22}$/);
    await this.waitReady();
    return this.sessionId;
  }

  /** Opens an existing session (as its owner, or with a link token) and waits until it is joined and the editor is ready. */
  async open(sessionId: string, token?: string): Promise<void> {
    await this.page.goto(token ? `/s/${sessionId}?t=${token}` : `/s/${sessionId}`);
    await this.waitReady();
  }

  /** Opens a share link (a full URL) and waits until the workspace is ready. */
  async openLink(url: string): Promise<void> {
    await this.page.goto(url);
    await this.waitReady();
  }

  get shareButton(): Locator {
    return this.page.getByTestId('share-button');
  }

  /** Opens the owner's share menu (links are created the first time). */
  async openShareMenu(): Promise<void> {
    if (!(await this.page.getByTestId('share-menu').isVisible())) await this.shareButton.click();
    await expect(this.page.getByTestId('share-menu')).toBeVisible();
  }

  /** The owner's share link of a kind, read from the share menu, which is closed again after. */
  async shareLink(kind: 'edit' | 'view'): Promise<string> {
    await this.openShareMenu();
    const input = this.page.getByTestId(`share-link-${kind}`);
    await expect(input).toHaveValue(/\/s\/[A-Za-z0-9_-]{22}\?t=[A-Za-z0-9_-]{43}$/);
    const url = await input.inputValue();
    await this.shareButton.click();
    await expect(this.page.getByTestId('share-menu')).toHaveCount(0);
    return url;
  }

  get presenceUsers(): Locator {
    return this.page.getByTestId('presence-user');
  }

  async waitReady(): Promise<void> {
    await expect(this.connectionStatus).toHaveText('ready');
    await expect(this.editor).toHaveAttribute('data-ready', 'true');
    await expect(this.editor.locator('.view-line').first()).toBeVisible();
  }

  /** Types the prompt and submits it with Enter (default) or the submit button. */
  async prompt(text: string, via: 'enter' | 'button' = 'enter'): Promise<void> {
    await this.promptInput.fill(text);
    if (via === 'enter') await this.promptInput.press('Enter');
    else await this.promptSubmit.click();
  }

  async status(): Promise<StreamStatus> {
    return ((await this.streamStatus.textContent()) ?? '').trim() as StreamStatus;
  }

  async waitForStatus(status: StreamStatus, timeout?: number): Promise<void> {
    await expect(this.streamStatus).toHaveText(status, { timeout });
  }

  /**
   * The editor's rendered lines, top to bottom (Monaco renders only the lines in view).
   * Non-breaking spaces Monaco uses for rendering are turned back into spaces.
   */
  async visibleLines(): Promise<string[]> {
    return this.editor.locator('.view-lines').evaluate((root) =>
      [...root.querySelectorAll<HTMLElement>('.view-line')]
        .map((line) => ({ top: parseFloat(line.style.top) || 0, text: line.textContent ?? '' }))
        .sort((a, b) => a.top - b.top)
        .map((line) => line.text.replace(/\u00a0/g, ' ')),
    );
  }

  /** Puts the editor's cursor at the very start of the open file. */
  async focusEditorAtStart(): Promise<void> {
    await this.editor.locator('.view-line').first().click();
    await this.page.keyboard.press('Control+Home');
  }
}

/**
 * Whether `rendered` (consecutive rendered lines) appears as consecutive lines of `text`:
 * the rendered editor then shows exactly that part of the document.
 */
export function isWindowOf(rendered: string[], text: string): boolean {
  const lines = text.split('\n');
  if (rendered.length === 0 || rendered.length > lines.length) return false;
  for (let i = 0; i + rendered.length <= lines.length; i++) {
    if (rendered.every((l, j) => l === lines[i + j])) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

interface Fixtures {
  /** The test's page as a Flint workspace (not yet on a session: call `newSession()`). */
  workspace: Workspace;
  /** Joins a session as a protocol peer with the page's identity (its owner); closed after the test. */
  joinPeer: (sessionId: string) => Promise<SessionPeer>;
}

export const test = base.extend<Fixtures>({
  workspace: async ({ page }, use) => {
    await use(new Workspace(page));
  },
  joinPeer: async ({ context }, use) => {
    const peers: SessionPeer[] = [];
    await use(async (sessionId) => {
      const peer = await SessionPeer.join(sessionId, { cookie: await identityOf(context) });
      peers.push(peer);
      return peer;
    });
    for (const p of peers) p.close();
  },
});
