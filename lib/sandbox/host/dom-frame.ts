import { DOM_FRAME_PORT } from '../protocol';

/**
 * A test file in the DOM environment runs in a document of its own rather than a Worker: a child
 * frame of the sandbox host's document, from `srcdoc`. It inherits the host's sandbox (so it has
 * an opaque origin of its own: no IDE cookies, no storage) and its CSP (no network; scripts only
 * the host's hash and blob:). Two consequences shape this file:
 *
 * - Its first script must be the host script itself, inline (the only inline script the CSP's
 *   hash allows): run in a frame marked `flint-dom-frame`, the host script only bootstraps
 *   (`serveAsDomFrame`): it takes the MessagePort and the JS runtime's source from its parent and
 *   starts the runtime from a blob: URL of its own.
 * - The host's blob: URLs belong to another opaque origin, so the file's bundle travels as text
 *   (`WorkerStart.code`) and the runtime makes its own URL.
 *
 * To the host a `DomFrame` looks like a Worker: `postMessage`, `onmessage`, `onerror`,
 * `terminate` (which removes the frame and its document). It runs on the host's thread, unlike a
 * Worker: the host's watchdog still ends a test that awaits forever, but a synchronous endless
 * loop in a DOM test stalls the host with it, until the IDE's liveness check replaces the whole
 * sandbox (sandbox-client.ts) — the price of a real DOM.
 */
const MARK = 'flint-dom-frame';

/** The host script's own text, read while it first runs: the inline script a frame may run. */
const ownSource = document.currentScript?.textContent ?? '';

/** Whether this document is a DOM-environment test frame (not the sandbox host). */
export const isDomFrame = () => document.querySelector(`meta[name="${MARK}"]`) !== null;

export class DomFrame {
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onerror: ((ev: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  private readonly frame: HTMLIFrameElement;
  private readonly port: MessagePort;
  /** Messages posted before the frame's document has loaded (and so has its port). */
  private pending: unknown[] | null = [];

  constructor(runtimeSource: string) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.port.onmessage = (ev) => this.onmessage?.(ev);
    this.frame = document.createElement('iframe');
    // Laid out (a real viewport for code that measures), out of sight.
    this.frame.style.cssText = 'position:absolute;left:-10000px;top:0;width:1024px;height:768px;border:0';
    this.frame.srcdoc = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="${MARK}"><title>test</title></head><body><script>${ownSource}</script></body></html>`;
    this.frame.addEventListener(
      'load',
      () => {
        this.frame.contentWindow?.postMessage({ type: MARK, runtime: runtimeSource }, '*', [channel.port2]);
        for (const m of this.pending ?? []) this.port.postMessage(m);
        this.pending = null;
      },
      { once: true },
    );
    document.body.append(this.frame);
  }

  postMessage(message: unknown) {
    if (this.pending) this.pending.push(message);
    else this.port.postMessage(message);
  }

  terminate() {
    this.port.close();
    this.frame.remove();
  }
}

/** The frame's side: wait for the port and the runtime from the host, then start the runtime. */
export function serveAsDomFrame() {
  const onMessage = (e: MessageEvent) => {
    const data = e.data as { type?: unknown; runtime?: unknown } | null;
    if (e.source !== window.parent || data?.type !== MARK || typeof data.runtime !== 'string' || !e.ports[0]) return;
    window.removeEventListener('message', onMessage);
    (globalThis as Record<string, unknown>)[DOM_FRAME_PORT] = e.ports[0];
    const script = document.createElement('script');
    script.src = URL.createObjectURL(new Blob([data.runtime], { type: 'text/javascript' }));
    document.head.append(script);
  };
  window.addEventListener('message', onMessage);
}
