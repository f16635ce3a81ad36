/**
 * The preview frame's runtime (served inline, CSP-hashed, by app/sandbox/preview/route.ts on the
 * sandbox origin, in `<iframe sandbox="allow-scripts">`: an opaque origin with no cookies, no
 * storage, and `connect-src 'none'`). It receives the app from the IDE page by postMessage and
 * runs it: the vendor script (the session's npm packages), then each module as a blob: script
 * (no eval under this CSP), then the entry. react-refresh's runtime is installed before React
 * loads; an update of modules whose exports are all components is applied hot
 * (`performReactRefresh`, state kept), a stylesheet is replaced in place, anything else asks
 * the IDE for a reload. Console output and uncaught errors go back to the IDE.
 */
// react-refresh's runtime is development-only code: the `.dev.bundle.ts` name makes the loader
// keep NODE_ENV=development for this bundle in production builds too (the app's React, from the
// packages pipeline, is its development build as well).
import * as RefreshRuntimeModule from 'react-refresh/runtime';
import { IdeToPreview, MODULE_URL, PREVIEW_PROTOCOL, type PreviewModule, type PreviewToIde } from '../protocol';

interface Runtime {
  injectIntoGlobalHook(w: Window): void;
  register(type: unknown, id: string): void;
  setSignature(type: unknown, key: string, forceReset?: boolean, getCustomHooks?: () => unknown[]): void;
  performReactRefresh(): unknown;
  isLikelyComponentType(t: unknown): boolean;
  createSignatureFunctionForTransform(): (type: unknown) => unknown;
}
const Refresh = ((RefreshRuntimeModule as unknown as { default?: Runtime }).default ?? RefreshRuntimeModule) as unknown as Runtime;
Refresh.injectIntoGlobalHook(window);

const ideOrigin = document.querySelector<HTMLMetaElement>('meta[name="flint-ide-origin"]')?.content ?? null;

function post(msg: PreviewToIde) {
  if (ideOrigin) window.parent.postMessage(msg, ideOrigin);
}

// ---- console and errors ----
const MAX_TEXT = 4000;
function format(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
const urlToPath = new Map<string, string>();
function rewriteStack(stack: string): string {
  let s = stack;
  for (const [url, path] of urlToPath) s = s.split(url).join(`${MODULE_URL}${path}`);
  return s.slice(0, 40_000);
}
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[level].bind(console);
  console[level] = (...args: unknown[]) => {
    original(...args);
    post({ type: 'console', level, text: args.map(format).join(' ').slice(0, MAX_TEXT) });
  };
}
window.addEventListener('error', (e) => {
  const err = e.error as unknown;
  post({ type: 'error', message: String(err instanceof Error ? `${err.name}: ${err.message}` : e.message).slice(0, MAX_TEXT), stack: rewriteStack(err instanceof Error ? (err.stack ?? '') : '') });
});
window.addEventListener('unhandledrejection', (e) => {
  const err = e.reason as unknown;
  post({ type: 'error', message: `Unhandled rejection: ${format(err)}`.slice(0, MAX_TEXT), stack: rewriteStack(err instanceof Error ? (err.stack ?? '') : '') });
});

// ---- modules ----
type Factory = (require: (spec: string) => unknown, module: { exports: unknown }, exports: unknown, reg: (type: unknown, name: string, sig: string) => void, sig: unknown) => void;
interface Record_ {
  def: PreviewModule;
  factory?: Factory;
  module?: { exports: unknown };
  style?: HTMLStyleElement;
}
const records = new Map<string, Record_>();
let defining: Map<string, Factory> = new Map();
(window as unknown as { __flintDefine: (path: string, f: Factory) => void }).__flintDefine = (path, f) => defining.set(path, f);

function loadScript(code: string, path?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
    if (path) urlToPath.set(url, path);
    const s = document.createElement('script');
    s.src = url;
    s.async = false;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`could not load ${path ?? 'the packages'}`));
    document.head.appendChild(s);
  });
}

function pkgs(): Record<string, Record<string, unknown>> {
  return (globalThis as unknown as { __flintPkgs?: Record<string, Record<string, unknown>> }).__flintPkgs ?? {};
}

function interop(ns: Record<string, unknown>): unknown {
  // A CommonJS package (its ESM wrapper from the packages pipeline carries it): its own module.exports.
  if ('__flintCjs' in ns) return ns.__flintCjs;
  // An ESM namespace as CommonJS exports that esbuild's __toESM takes as is.
  const out: Record<string, unknown> = { __esModule: true };
  for (const k of Object.keys(ns)) out[k] = ns[k];
  if (!('default' in out)) out.default = ns;
  return out;
}

function execute(path: string): unknown {
  const rec = records.get(path);
  if (!rec?.factory) throw new Error(`The module ${path} is not loaded.`);
  if (rec.module) return rec.module.exports;
  const module = { exports: {} as unknown };
  rec.module = module;
  const require = Object.assign(
    (spec: string) => {
      const to = rec.def.deps[spec];
      if (!to) throw new Error(`Cannot find "${spec}" from ${path}.`);
      if (to.startsWith('pkg:')) {
        const ns = pkgs()[to.slice(4)];
        if (!ns) throw new Error(`The package "${spec}" is not loaded.`);
        return interop(ns);
      }
      return execute(to);
    },
    {
      style: (css: string) => {
        rec.style ??= document.head.appendChild(document.createElement('style'));
        rec.style.dataset.path = path;
        rec.style.textContent = css;
      },
    },
  );
  const reg = (type: unknown, name: string, sig: string) => {
    if (typeof type !== 'function' && (typeof type !== 'object' || type === null)) return;
    Refresh.register(type, `${path} ${name}`);
    Refresh.setSignature(type, sig, false, () => []);
  };
  rec.factory(require, module, module.exports, reg, () => () => {});
  return module.exports;
}

async function define(mods: PreviewModule[]) {
  defining = new Map();
  for (const m of mods) await loadScript(m.code, m.path);
  for (const m of mods) {
    const factory = defining.get(m.path);
    if (!factory) throw new Error(`${m.path} did not define itself.`);
    const old = records.get(m.path);
    records.set(m.path, { def: m, factory, style: old?.style });
  }
}

function onlyComponents(exports: unknown): boolean {
  if (exports === null || typeof exports !== 'object') return false;
  const keys = Object.keys(exports).filter((k) => k !== '__esModule');
  return keys.length > 0 && keys.every((k) => Refresh.isLikelyComponentType((exports as Record<string, unknown>)[k]));
}

let entry = '';
let loaded = false;

async function onLoad(msg: Extract<IdeToPreview, { type: 'load' }>) {
  if (loaded) return; // a frame runs one app; the IDE replaces the frame to start over
  loaded = true;
  document.body.innerHTML = msg.body;
  entry = msg.entry;
  await loadScript(msg.vendor);
  await define(msg.modules);
  try {
    execute(entry);
  } finally {
    post({ type: 'loaded' });
  }
}

async function onUpdate(msg: Extract<IdeToPreview, { type: 'update' }>) {
  // Hot only when each changed module is a stylesheet, or a non-entry module that exported only components.
  const hot = msg.modules.every((m) => {
    if (m.css) return true;
    const rec = records.get(m.path);
    if (!rec) return false; // a new module: its importer changed too, which reloads
    return m.path !== entry && (!rec.module || onlyComponents(rec.module.exports));
  });
  if (!hot) {
    post({ type: 'reload', revision: msg.revision });
    return;
  }
  // Modules that ran before run again (their new components register with react-refresh); the others wait for a require.
  const ran = new Set(msg.modules.filter((m) => records.get(m.path)?.module).map((m) => m.path));
  await define(msg.modules);
  for (const m of msg.modules) if (m.css || ran.has(m.path)) execute(m.path);
  Refresh.performReactRefresh();
  post({ type: 'updated', revision: msg.revision, hot: true });
}

let queue: Promise<void> = Promise.resolve();
window.addEventListener('message', (e) => {
  if (e.source !== window.parent || !ideOrigin || e.origin !== ideOrigin) return;
  const parsed = IdeToPreview.safeParse(e.data);
  if (!parsed.success) return;
  const msg = parsed.data;
  if (msg.type === 'ping') {
    post({ type: 'pong' });
    return;
  }
  queue = queue
    .then(() => (msg.type === 'load' ? onLoad(msg) : onUpdate(msg)))
    .catch((err: unknown) => {
      post({ type: 'error', message: String(err instanceof Error ? `${err.name}: ${err.message}` : err).slice(0, MAX_TEXT), stack: rewriteStack(err instanceof Error ? (err.stack ?? '') : '') });
    });
});
post({ type: 'pong' });
