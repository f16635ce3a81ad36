import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The peer harness must not ship the AI SDK to Flint's own pages: reads each app page's client
 * reference manifest in the production build (.next) and looks for the SDK's user-agent marker
 * (`ai-sdk/`) in every browser chunk it lists. The peer page must have it (so the check can see).
 */
const MARKER = 'ai-sdk/';

function manifests(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) manifests(path, out);
    else if (name === 'page_client-reference-manifest.js') out.push(path);
  }
  return out;
}

export function checkBundles(root = '.next'): { pages: Record<string, boolean>; failures: string[] } {
  const pages: Record<string, boolean> = {};
  const cache = new Map<string, boolean>();
  const hasSdk = (chunk: string) => {
    if (!cache.has(chunk)) {
      const file = join(root, chunk);
      cache.set(chunk, existsSync(file) && readFileSync(file, 'utf8').includes(MARKER));
    }
    return cache.get(chunk)!;
  };
  for (const m of manifests(join(root, 'server', 'app'))) {
    const page = '/' + relative(join(root, 'server', 'app'), m).replace(/\/?page_client-reference-manifest\.js$/, '');
    const chunks = [...new Set(readFileSync(m, 'utf8').match(/static\/chunks\/[\w.-]+\.js/g) ?? [])];
    pages[page] = chunks.some(hasSdk);
  }
  const failures: string[] = [];
  for (const [page, sdk] of Object.entries(pages)) {
    if (page.startsWith('/bench/')) continue;
    if (sdk) failures.push(`${page} ships the AI SDK (a chunk it loads contains "${MARKER}")`);
  }
  if (!pages['/bench/peer']) failures.push('the check found no AI SDK in /bench/peer either: it cannot see the SDK, so it proves nothing');
  return { pages, failures };
}
