/**
 * The sandbox document's Content-Security-Policy, less `script-src` (which carries the host
 * script's hash and is added by app/sandbox/route.ts). Workers started from blob: URLs inherit
 * it, so `connect-src 'none'` holds for test code too: no fetch, XMLHttpRequest, WebSocket,
 * EventSource or beacon, to Flint or anywhere.
 */
export const SANDBOX_CSP_BASE = [
  "default-src 'none'",
  "connect-src 'none'",
  'worker-src blob:',
  "child-src 'none'",
  "frame-src 'none'",
  "img-src 'none'",
  "style-src 'none'",
  "font-src 'none'",
  "media-src 'none'",
  "object-src 'none'",
  "manifest-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
  'sandbox allow-scripts',
].join('; ');
