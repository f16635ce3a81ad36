import * as host from '@/lib/sandbox/host/host.bundle';
import { sandboxCsp } from '@/lib/sandbox/csp';
import { allowedParent, sandboxSettingsFromEnv } from '@/lib/sandbox/origin';

/**
 * The test sandbox document, loaded by the IDE in `<iframe sandbox="allow-scripts">`, usually
 * from another site than the IDE's (lib/sandbox/origin.ts) so it runs in its own browser
 * process. Its only script is the host (inline, allowed by hash). The Content-Security-Policy
 * below is the second wall: even opened directly in a tab it is sandboxed (opaque origin, no
 * pop-ups, no navigation of the top page, no forms), nothing in it or its workers may open a
 * network connection, and only the IDE origin that asked for it (`?ide=`, if allowed) may embed
 * it. The host learns that origin from a `<meta>` (its messages are addressed to it alone).
 */
const hostSource = (host as unknown as { default: string }).default;

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

let script: Promise<{ script: string; hash: string }> | null = null;

function build() {
  script ??= (async () => {
    const text = hostSource.replace(/<\/script/gi, '<\\/script');
    return { script: text, hash: await sha256Base64(text) };
  })();
  return script;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export async function GET(request: Request): Promise<Response> {
  const { script: text, hash } = await build();
  const ide = new URL(request.url).searchParams.get('ide');
  const parent = allowedParent(ide, request.headers.get('host'), sandboxSettingsFromEnv().appOrigins);
  const meta = parent ? `<meta name="flint-ide-origin" content="${escapeAttr(parent)}">` : '';
  const html = `<!doctype html><html><head><meta charset="utf-8">${meta}<title>Flint test sandbox</title></head><body><script>${text}</script></body></html>`;
  const etag = `"${hash}${parent ? `-${Buffer.from(parent).toString('base64url')}` : ''}"`;
  // The host script is large (it carries zod); revalidate rather than download it on every page.
  const cached = request.headers.get('if-none-match') === etag;
  return new Response(cached ? null : html, {
    status: cached ? 304 : 200,
    headers: {
      etag,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': sandboxCsp(hash, parent),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    },
  });
}
