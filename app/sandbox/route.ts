import * as host from '@/lib/sandbox/host/host.bundle';
import { SANDBOX_CSP_BASE } from '@/lib/sandbox/csp';

/**
 * The test sandbox document, loaded by the IDE in `<iframe sandbox="allow-scripts">`. Its only
 * script is the host (inline, allowed by hash). The Content-Security-Policy below is the second
 * wall: even opened directly in a tab it is sandboxed (opaque origin, no pop-ups, no navigation
 * of the top page, no forms) and nothing in it or its workers may open a network connection.
 */
const hostSource = (host as unknown as { default: string }).default;

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

let page: Promise<{ html: string; csp: string; etag: string }> | null = null;

function build() {
  page ??= (async () => {
    const script = hostSource.replace(/<\/script/gi, '<\\/script');
    const hash = await sha256Base64(script);
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Flint test sandbox</title></head><body><script>${script}</script></body></html>`;
    return { html, csp: `${SANDBOX_CSP_BASE}; script-src 'sha256-${hash}' blob: 'wasm-unsafe-eval'`, etag: `"${hash}"` };
  })();
  return page;
}

export async function GET(request: Request): Promise<Response> {
  const { html, csp, etag } = await build();
  // The host script is large (it carries zod); revalidate rather than download it on every page.
  const cached = request.headers.get('if-none-match') === etag;
  return new Response(cached ? null : html, {
    status: cached ? 304 : 200,
    headers: {
      etag,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    },
  });
}
