/**
 * The preview document's Content-Security-Policy, like the test sandbox's (lib/sandbox/csp.ts):
 * no network at all (`connect-src 'none'`: no fetch, XHR, WebSocket — so no way to the IDE's
 * socket), scripts only the inline host (by hash) and the blob: scripts it makes of the app,
 * `sandbox allow-scripts` even when opened directly. Unlike tests, an app draws: its
 * stylesheets (<style> from CSS imports), images and fonts (data:/blob: URLs) are allowed.
 */
export const PREVIEW_CSP_BASE = [
  "default-src 'none'",
  "connect-src 'none'",
  "worker-src blob:",
  "child-src 'none'",
  "frame-src 'none'",
  'img-src data: blob:',
  "style-src 'unsafe-inline' blob:",
  'font-src data: blob:',
  'media-src data: blob:',
  "object-src 'none'",
  "manifest-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  'sandbox allow-scripts',
].join('; ');

export function previewCsp(scriptHash: string, parent: string | null): string {
  const ancestors = parent ? `'self' ${parent}` : "'self'";
  return `${PREVIEW_CSP_BASE}; frame-ancestors ${ancestors}; script-src 'sha256-${scriptHash}' blob:`;
}
