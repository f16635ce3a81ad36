import * as host from '@/lib/preview/host/preview-host.dev.bundle';
import { previewCsp } from '@/lib/preview/csp';
import { allowedParent, sandboxSettingsFromEnv } from '@/lib/sandbox/origin';

/**
 * The live preview's document, loaded by the IDE in `<iframe sandbox="allow-scripts">` from the
 * sandbox origin (lib/sandbox/origin.ts), never the IDE's. Its one script is the preview host
 * (inline, allowed by hash), which runs the app the IDE sends it. The CSP (lib/preview/csp.ts)
 * forbids every network connection; only the IDE origin that asked (`?ide=`, if allowed) may
 * embed it and receive its messages.
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
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${meta}<title>Preview</title></head><body><script>${text}</script></body></html>`;
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': previewCsp(hash, parent),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    },
  });
}
