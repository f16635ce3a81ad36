import { zipSync } from 'fflate';
import type { Snapshot } from './changes';
import type { BlobReader } from './patch';

/** The workspace as a zip, byte for byte (binaries fetched from the blob store). Loaded where "Download zip" is clicked. */
export async function buildZip(files: Snapshot, blob: BlobReader): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const entries: Record<string, Uint8Array> = {};
  for (const [path, f] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    entries[path] = f.kind === 'text' ? enc.encode(f.text) : await blob(f.sha256);
  }
  return zipSync(entries, { level: 6 });
}
