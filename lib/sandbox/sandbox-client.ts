'use client';
import { placeSandbox, sandboxUrl, type SandboxPlacement } from './origin';
import { HostToIde, SANDBOX_PROTOCOL, type IdeToHost, type RunEvent, type RunRequest } from './protocol';

/** During a run the host is pinged this often… */
export const LIVENESS_INTERVAL_MS = 1_000;
/** …and declared gone after this many intervals in a row without a word from it. */
export const LIVENESS_MISSES = 5;

export const SANDBOX_STOPPED_MESSAGE =
  'The test sandbox stopped during the run (most likely a test used too much memory) and was restarted. Run the tests again.';

/**
 * The sandbox went away during a run: its process ended (the browser kills a frame's process
 * that runs out of memory) or it stopped answering. The IDE page is unaffected when the sandbox
 * has a process of its own (lib/sandbox/origin.ts).
 */
export class SandboxStoppedError extends Error {
  constructor(message = SANDBOX_STOPPED_MESSAGE) {
    super(message);
    this.name = 'SandboxStoppedError';
  }
}

/**
 * The IDE's end of the sandbox: a hidden `<iframe sandbox="allow-scripts">` (no
 * allow-same-origin, so its origin is opaque) showing `/sandbox` from the origin `placeSandbox`
 * picks (another site than the IDE's when it can, so the browser gives it its own process). It is
 * created after mount and greeted with ping/pong until the host answers (its "ready" could race
 * hydration). Messages from it count only when they come from that iframe's window with origin
 * `"null"` and parse as `HostToIde`.
 *
 * A crashed frame says nothing (no event reaches the parent, and a MessagePort's `close` did not
 * fire for it in Chromium 156), so during a run the host is pinged every
 * `LIVENESS_INTERVAL_MS`; after `LIVENESS_MISSES` intervals in a row with no message from it the
 * run fails with `SandboxStoppedError` and the iframe is replaced. Pings are answered by the host's
 * main thread, which runs no test code; timers of a background tab only make this slower.
 */
export class SandboxClient {
  private iframe!: HTMLIFrameElement;
  private ready!: Promise<void>;
  private readonly listeners = new Map<string, (e: RunEvent) => void>();
  /** Runs stopped before they were sent to the host (see `cancel`). */
  private readonly cancelledBeforeSent = new Set<string>();
  private readonly pongs = new Map<string, () => void>();
  private disposed = false;
  /** Which worker runtimes the host already holds. */
  readonly sent = { js: false, py: false, pyodide: false };
  /** Where the sandbox is served from, and whether that gives it a process of its own. */
  readonly placement: SandboxPlacement;
  /** Messages received from the host so far (each run's liveness check compares it per tick). */
  private heard = 0;
  /** Times the sandbox was replaced after it stopped during a run. */
  restarts = 0;

  /** `configuredOrigin`: FLINT_SANDBOX_ORIGIN, as the session page passes it (null when unset). */
  constructor(
    private readonly container: HTMLElement,
    configuredOrigin: string | null = null,
    /** The iframe's `data-testid` (a second sandbox, the agents', has its own). */
    private readonly testId = 'test-sandbox',
  ) {
    this.placement = placeSandbox(window.location.origin, configuredOrigin);
    window.addEventListener('message', this.onMessage);
    this.mount();
  }

  private mount() {
    this.iframe = document.createElement('iframe');
    this.iframe.setAttribute('sandbox', 'allow-scripts');
    this.iframe.setAttribute('data-testid', this.testId);
    this.iframe.setAttribute('title', 'Test sandbox');
    this.iframe.setAttribute('aria-hidden', 'true');
    this.iframe.tabIndex = -1;
    this.iframe.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden';
    this.iframe.src = sandboxUrl(this.placement, window.location.origin);
    this.container.appendChild(this.iframe);
    this.ready = this.handshake();
    this.ready.catch(() => {}); // surfaced by the run that awaits it
  }

  /** Replaces the iframe (and so every worker in it) with a fresh one. */
  private reset() {
    this.iframe.remove();
    this.sent.js = this.sent.py = this.sent.pyodide = false;
    const pending = [...this.listeners.values()];
    this.listeners.clear();
    for (const listener of pending) listener({ type: 'run-end', status: 'cancelled', durationMs: 0 });
    if (!this.disposed) this.mount();
  }

  private onMessage = (ev: MessageEvent) => {
    // An opaque-origin document's messages say "null", whichever origin its URL has.
    if (ev.source !== this.iframe.contentWindow || ev.origin !== 'null') return;
    this.heard += 1;
    const parsed = HostToIde.safeParse(ev.data);
    if (!parsed.success) return;
    const msg = parsed.data;
    if (msg.type === 'pong') {
      if (msg.protocol === SANDBOX_PROTOCOL) this.pongs.get(msg.nonce)?.();
      return;
    }
    const listener = this.listeners.get(msg.runId);
    for (const event of msg.events) {
      if (!listener || this.listeners.get(msg.runId) !== listener) return; // the run ended
      listener(event);
    }
  };

  private async handshake(): Promise<void> {
    const nonce = Math.random().toString(36).slice(2);
    await new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const timer = setInterval(() => {
        if (this.disposed) {
          clearInterval(timer);
          reject(new Error('The sandbox was closed.'));
        } else if (Date.now() - started > 30_000) {
          clearInterval(timer);
          reject(new Error('The test sandbox did not start.'));
        } else this.post({ type: 'ping', nonce });
      }, 100);
      this.pongs.set(nonce, () => {
        clearInterval(timer);
        this.pongs.delete(nonce);
        resolve();
      });
    });
  }

  private post(message: IdeToHost, transfer: Transferable[] = []) {
    // The sandbox's origin is opaque ("null"), so no target origin can name it.
    this.iframe.contentWindow?.postMessage(message, '*', transfer);
  }

  /**
   * Runs a request; `onEvent` sees every event, the promise resolves with `run-end`. The host
   * enforces the run's limits. Should the host itself go away (the browser killed the frame's
   * process, say) the run rejects with `SandboxStoppedError` once the liveness pings go
   * unanswered (or, at the latest, after `answerWithinMs`) and the sandbox is replaced.
   */
  async run(request: RunRequest, onEvent: (e: RunEvent) => void, answerWithinMs: number): Promise<Extract<RunEvent, { type: 'run-end' }>> {
    await this.ready;
    if (this.cancelledBeforeSent.delete(request.runId)) {
      // Stopped while it was being prepared: it never reaches the host.
      const end = { type: 'run-end' as const, status: 'cancelled' as const, durationMs: 0 };
      onEvent(end);
      return end;
    }
    return new Promise((resolve, reject) => {
      let misses = 0;
      const stop = (why: Error) => {
        clearTimeout(timer);
        clearInterval(liveness);
        this.listeners.delete(request.runId);
        this.restarts += 1;
        this.reset();
        reject(why);
      };
      const timer = setTimeout(() => stop(new SandboxStoppedError('The test sandbox stopped answering and was restarted. Run the tests again.')), answerWithinMs);
      let seen = this.heard;
      const liveness = setInterval(() => {
        misses = this.heard !== seen ? 0 : misses + 1;
        seen = this.heard;
        if (misses >= LIVENESS_MISSES) stop(new SandboxStoppedError());
        else this.post({ type: 'ping', nonce: `live-${Math.random().toString(36).slice(2)}` });
      }, LIVENESS_INTERVAL_MS);
      this.listeners.set(request.runId, (e) => {
        onEvent(e);
        if (e.type === 'run-end') {
          clearTimeout(timer);
          clearInterval(liveness);
          this.listeners.delete(request.runId);
          resolve(e);
        }
      });
      this.post(request);
      if (request.jsRuntime) this.sent.js = true;
      if (request.pyRuntime) this.sent.py = true;
      if (request.pyodide) this.sent.pyodide = true;
    });
  }

  /**
   * Stops a run. One not sent yet (its files still bundling, the sandbox still starting) is
   * remembered and never sent: the host would drop a cancel for a run it has not seen.
   */
  cancel(runId: string) {
    if (this.listeners.has(runId)) this.post({ type: 'cancel', runId });
    else this.cancelledBeforeSent.add(runId);
  }

  dispose() {
    this.disposed = true;
    window.removeEventListener('message', this.onMessage);
    this.reset(); // removes the iframe and ends pending runs (and their liveness checks)
  }
}
