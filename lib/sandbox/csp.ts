/**
 * The sandbox document's Content-Security-Policy, less `script-src` (which carries the host
 * script's hash) and `frame-ancestors` (the IDE origin that asked for it, when allowed): both
 * added by `sandboxCsp`. Workers started from blob: URLs inherit
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
  'sandbox allow-scripts',
].join('; ');

/**
 * The full policy: `parent` is the IDE origin allowed to embed this document (checked by
 * `allowedParent` in origin.ts), or null for none but the sandbox's own origin.
 */
export function sandboxCsp(scriptHash: string, parent: string | null): string {
  const ancestors = parent ? `'self' ${parent}` : "'self'";
  return `${SANDBOX_CSP_BASE}; frame-ancestors ${ancestors}; script-src 'sha256-${scriptHash}' blob: 'wasm-unsafe-eval'`;
}
