import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { placeSandbox } from '@/lib/sandbox/origin';

/**
 * The security headers of every response but the sandbox document (which has its own, stricter
 * policy: app/sandbox/route.ts). The IDE pages get a Content-Security-Policy with a fresh nonce
 * per response; Next.js reads that nonce from the *request's* `content-security-policy` header
 * and puts it on every script it renders (its runtime, chunks and inline flight data), so the
 * pages must be rendered per request (app/layout.tsx is dynamic) — which also keeps them out of
 * shared caches (`private, no-store`), as a response that may set the identity cookie must be.
 *
 * What the policy allows, and why:
 * - scripts: this response's nonce, and what those scripts load (`'strict-dynamic'`); Monaco's
 *   workers from this origin (`worker-src 'self'`, blob: for the TypeScript worker's helpers);
 *   WebAssembly compilation (`'wasm-unsafe-eval'`: esbuild-wasm bundles the tests in the page —
 *   it allows compiling wasm, not `eval` of JavaScript).
 *   Development adds `'unsafe-eval'` (React's dev build and fast refresh need it).
 * - styles: `'unsafe-inline'` — Monaco writes its styles and `style` attributes at run time.
 * - frames: the sandbox origin the page will load (lib/sandbox/origin.ts `placeSandbox`); the
 *   IDE itself may be framed only by its own origin (`frame-ancestors 'self'`: no clickjacking
 *   of accept or share).
 * - connections: this origin over http(s) and ws(s) (socket.io).
 * - `Referrer-Policy: no-referrer`: share tokens live in URLs (`/s/<id>?t=…`).
 */
export interface PageHeaderOptions {
  dev: boolean;
  /** FLINT_SANDBOX_ORIGIN, when set. */
  sandboxOrigin?: string;
}

export const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), bluetooth=(), display-capture=()';

/** The scheme the person used: https when this server terminates TLS or a proxy says so. */
export function requestScheme(req: http.IncomingMessage): 'http' | 'https' {
  return req.headers['x-forwarded-proto'] === 'https' || (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
}

/** A `Host` header as browsers send it (name or IP literal, optional port): anything else is not put into a policy. */
const HOST = /^([a-z0-9.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i;

/** `origin`: the page's own origin, or null when the request's Host could not be trusted to form one. */
export function pageCsp(opts: { nonce: string; origin: string | null; dev: boolean; sandboxOrigin?: string }): string {
  const sandbox = opts.origin ? placeSandbox(opts.origin, opts.sandboxOrigin).origin : (opts.sandboxOrigin ?? null);
  const ws = opts.origin ? ` ${opts.origin.replace(/^http/, 'ws')}` : '';
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${opts.nonce}' 'strict-dynamic' 'wasm-unsafe-eval'${opts.dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    // Package bundles and their types are fetched from the sandbox origin (server/packages/), and only they.
    `connect-src 'self'${ws}${sandbox && sandbox !== opts.origin ? ` ${sandbox}/_flint/pkg/ ${sandbox}/_flint/types/` : ''}`,
    "worker-src 'self' blob:",
    `frame-src ${!sandbox || sandbox === opts.origin ? "'self'" : `'self' ${sandbox}`}`,
    "frame-ancestors 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** Sets the headers on `res` (and the nonce on `req` for Next); call before Next handles it. */
export function applyPageHeaders(req: http.IncomingMessage, res: http.ServerResponse, opts: PageHeaderOptions): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
  // For browsers that predate frame-ancestors.
  res.setHeader('X-Frame-Options', 'SAMEORIGIN');
  const host = req.headers.host;
  const origin = host && HOST.test(host) ? `${requestScheme(req)}://${host.toLowerCase()}` : null;
  const nonce = randomBytes(16).toString('base64');
  const csp = pageCsp({ nonce, origin, dev: opts.dev, sandboxOrigin: opts.sandboxOrigin });
  req.headers['content-security-policy'] = csp;
  res.setHeader('Content-Security-Policy', csp);
}
