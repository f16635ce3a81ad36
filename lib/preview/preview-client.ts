'use client';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { loadEsbuild } from '@/lib/sandbox/bundler';
import { placeSandbox } from '@/lib/sandbox/origin';
import type { PackageSources } from '@/lib/sandbox/packages';
import { PreviewBuilder, type BuildError, type BuiltModule, type Location } from './build';
import { PREVIEW_PROTOCOL, PreviewToIde, type IdeToPreview } from './protocol';
import { PreviewStackMapper } from './stack';

/**
 * The IDE's end of the live preview: the `<iframe sandbox="allow-scripts">` on the sandbox
 * origin, the build of the app from the files it is given (the live workspace, or the workspace
 * with the pending proposal applied), and what comes back (console, errors). `schedule()` is
 * called on every change; the first change after a quiet spell builds at once, a burst is
 * coalesced to one build per animation frame, and builds never overlap.
 * After the first load only the modules whose code changed are sent; the frame applies them hot
 * or asks for a reload (a fresh document, everything sent again).
 */

export interface ConsoleEntry {
  id: number;
  level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  text: string;
}
export interface PreviewError {
  message: string;
  frames: Array<Location & { fn: string }>;
}
export interface PreviewState {
  status: 'idle' | 'building' | 'running' | 'build-error' | 'nothing';
  buildErrors: BuildError[];
  error: PreviewError | null;
  console: ConsoleEntry[];
  /** Builds applied to the frame so far (loads and updates). */
  revision: number;
  /** Updates applied hot (state kept), and full loads of the document. */
  hot: number;
  loads: number;
}
export type PreviewStoreApi = StoreApi<PreviewState>;

const MAX_CONSOLE = 500;
/** Changes closer than this to the last build's start are batched to the next animation frame. */
const FRAME_MS = 16;

export function previewUrl(sandboxOrigin: string, ideOrigin: string): string {
  return `${sandboxOrigin}/sandbox/preview?ide=${encodeURIComponent(ideOrigin)}`;
}

export class PreviewClient {
  readonly store: PreviewStoreApi = createStore<PreviewState>(() => ({ status: 'idle', buildErrors: [], error: null, console: [], revision: 0, hot: 0, loads: 0 }));
  readonly iframe: HTMLIFrameElement;
  private builder: PreviewBuilder | null = null;
  private frame = 0;
  private building = false;
  private again = false;
  private disposed = false;
  /** What the current document holds: null until loaded. */
  private sent: { vendorKey: string; entry: string; body: string; modules: Map<string, string> } | null = null;
  private ready: Promise<void> = Promise.resolve();
  private readyResolve: (() => void) | null = null;
  private readonly maps = new Map<string, string>();
  private consoleId = 0;
  private revision = 0;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private readonly origin: string;

  constructor(
    container: HTMLElement,
    configuredOrigin: string | null,
    private readonly files: () => ReadonlyMap<string, string>,
    private readonly packages: () => Promise<PackageSources | undefined>,
  ) {
    this.origin = placeSandbox(window.location.origin, configuredOrigin).origin;
    this.iframe = document.createElement('iframe');
    this.iframe.setAttribute('sandbox', 'allow-scripts');
    this.iframe.setAttribute('data-testid', 'preview-frame');
    this.iframe.setAttribute('title', 'Preview');
    this.iframe.className = 'preview-frame';
    window.addEventListener('message', this.onMessage);
    container.appendChild(this.iframe);
    this.navigate();
    this.schedule();
  }

  /** A fresh document; resolves `ready` on its first pong. */
  private navigate() {
    this.sent = null;
    this.ready = new Promise((resolve) => (this.readyResolve = resolve));
    this.iframe.src = `${previewUrl(this.origin, window.location.origin)}&n=${++this.frame}`;
    if (this.pingTimer) clearInterval(this.pingTimer);
    // The host says hello on start, but that can come before the parent listens: ping until it answers.
    this.pingTimer = setInterval(() => this.post({ type: 'ping', protocol: PREVIEW_PROTOCOL }), 100);
  }

  private post(msg: IdeToPreview) {
    this.iframe.contentWindow?.postMessage(msg, '*'); // the frame's origin is opaque: "*" is the only target that reaches it
  }

  private readonly onMessage = (e: MessageEvent) => {
    if (e.source !== this.iframe.contentWindow || e.origin !== 'null') return;
    const parsed = PreviewToIde.safeParse(e.data);
    if (!parsed.success) return;
    const msg = parsed.data;
    const s = this.store.getState();
    switch (msg.type) {
      case 'pong':
        if (this.pingTimer) clearInterval(this.pingTimer);
        this.pingTimer = null;
        this.readyResolve?.();
        this.readyResolve = null;
        break;
      case 'console': {
        const entry = { id: ++this.consoleId, level: msg.level, text: msg.text };
        this.store.setState({ console: [...s.console, entry].slice(-MAX_CONSOLE) });
        break;
      }
      case 'error': {
        const frames = new PreviewStackMapper(this.maps).frames(msg.stack);
        const entry: ConsoleEntry = { id: ++this.consoleId, level: 'error', text: `Uncaught ${msg.message}${frames[0] ? ` (${frames[0].path}:${frames[0].line})` : ''}` };
        this.store.setState({ error: { message: msg.message, frames }, console: [...s.console, entry].slice(-MAX_CONSOLE) });
        break;
      }
      case 'updated':
        this.store.setState({ hot: s.hot + 1, revision: s.revision + 1 });
        break;
      case 'loaded':
        this.store.setState({ loads: s.loads + 1, revision: s.revision + 1 });
        break;
      case 'reload':
        this.navigate();
        this.schedule();
        break;
    }
  };

  /**
   * Something changed: rebuild. The first change after a quiet spell builds at once (in a task of
   * its own, after the edit's handlers); changes within a frame of the last build's start wait for
   * the next animation frame, so a burst (a proposal streaming in) is still one build per frame.
   * Waiting for this page's frame on every edit only delayed it: the preview frame paints on its own.
   */
  schedule = () => {
    if (this.disposed) return;
    if (this.building) {
      this.again = true;
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.rebuild();
    };
    if (performance.now() - this.lastBuild >= FRAME_MS) setTimeout(run, 0);
    else requestAnimationFrame(run);
  };
  private scheduled = false;
  private lastBuild = -Infinity;

  /** Starts over: a fresh document and a full load. */
  reload() {
    this.navigate();
    this.schedule();
  }

  private async rebuild() {
    if (this.disposed) return;
    this.lastBuild = performance.now();
    this.building = true;
    this.again = false;
    try {
      this.builder ??= new PreviewBuilder(await loadEsbuild());
      const files = this.files();
      const result = await this.builder.build(files, files.has('package.json') ? await this.packages() : undefined);
      if (this.disposed) return;
      if (!result.ok) {
        const nothing = result.errors.length === 1 && !result.errors[0].location && result.errors[0].message.startsWith('Nothing to preview');
        this.store.setState({ status: nothing ? 'nothing' : 'build-error', buildErrors: result.errors });
        return;
      }
      for (const m of result.modules) this.maps.set(m.path, m.map);
      const sent = this.sent;
      const sameDocument = sent && sent.vendorKey === result.vendorKey && sent.entry === result.entry && sent.body === result.body;
      if (!sameDocument) {
        if (sent) this.navigate();
        await this.ready;
        this.store.setState({ status: 'running', buildErrors: [], error: null });
        this.post({ type: 'load', protocol: PREVIEW_PROTOCOL, body: result.body, vendor: result.vendor, modules: result.modules.map(strip), entry: result.entry });
        this.sent = { vendorKey: result.vendorKey, entry: result.entry, body: result.body, modules: new Map(result.modules.map((m) => [m.path, m.code])) };
        return;
      }
      const changed = result.modules.filter((m) => sent.modules.get(m.path) !== m.code);
      this.store.setState({ status: 'running', buildErrors: [] });
      if (changed.length === 0) return;
      for (const m of changed) sent.modules.set(m.path, m.code);
      this.store.setState({ error: null });
      this.post({ type: 'update', protocol: PREVIEW_PROTOCOL, modules: changed.map(strip), revision: ++this.revision });
    } catch (err) {
      this.store.setState({ status: 'build-error', buildErrors: [{ message: `The preview could not be built: ${err instanceof Error ? err.message : String(err)}` }] });
    } finally {
      this.building = false;
      if (this.again) this.schedule();
    }
  }

  clearConsole() {
    this.store.setState({ console: [] });
  }

  dispose() {
    this.disposed = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    window.removeEventListener('message', this.onMessage);
    this.iframe.remove();
  }
}

function strip(m: BuiltModule) {
  return { path: m.path, code: m.code, deps: m.deps, ...(m.css ? { css: true } : {}) };
}
