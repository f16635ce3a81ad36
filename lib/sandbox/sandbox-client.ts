'use client';
import { HostToIde, SANDBOX_PROTOCOL, type IdeToHost, type RunEvent, type RunRequest } from './protocol';

/**
 * The IDE's end of the sandbox: a hidden `<iframe sandbox="allow-scripts">` (no
 * allow-same-origin, so its origin is opaque) showing `/sandbox`. It is created after mount and
 * greeted with ping/pong until the host answers (its "ready" could race hydration). Messages from
 * it count only when they come from that iframe's window and parse as `HostToIde`.
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

  constructor(private readonly container: HTMLElement) {
    window.addEventListener('message', this.onMessage);
    this.mount();
  }

  private mount() {
    this.iframe = document.createElement('iframe');
    this.iframe.setAttribute('sandbox', 'allow-scripts');
    this.iframe.setAttribute('data-testid', 'test-sandbox');
    this.iframe.setAttribute('title', 'Test sandbox');
    this.iframe.setAttribute('aria-hidden', 'true');
    this.iframe.tabIndex = -1;
    this.iframe.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden';
    this.iframe.src = '/sandbox';
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
    if (ev.source !== this.iframe.contentWindow || ev.origin !== 'null') return;
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
   * enforces the run's limits; should the host itself stop answering (the browser killed the
   * frame, say) the run fails after `answerWithinMs` and the sandbox is replaced.
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
      const timer = setTimeout(() => {
        this.listeners.delete(request.runId);
        this.reset();
        reject(new Error('The test sandbox stopped answering and was restarted. Run the tests again.'));
      }, answerWithinMs);
      this.listeners.set(request.runId, (e) => {
        onEvent(e);
        if (e.type === 'run-end') {
          clearTimeout(timer);
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
    this.iframe.remove();
  }
}
