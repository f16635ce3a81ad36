import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface DownloadProgress {
  bytes: number;
  totalBytes: number | null;
  percent: number | null;
  etaSeconds: number | null;
}

/** A download that cannot happen, with the reason in words a person understands. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly kind: 'offline' | 'http' | 'disk' | 'notGguf',
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

const HEADERS_TIMEOUT_MS = 15_000;
const IDLE_TIMEOUT_MS = 30_000;

/** The cache file a URL downloads to: its last path segment, in `cacheDir`. */
export function cachePathFor(url: string, cacheDir: string): string {
  return path.join(cacheDir, path.basename(new URL(url).pathname) || 'model.gguf');
}

/** Turns a filesystem or network failure into a DownloadError that says what to do. */
export function describeDownloadError(err: unknown, url: string, cacheDir: string): DownloadError {
  if (err instanceof DownloadError) return err;
  const code = (err as NodeJS.ErrnoException)?.code ?? (err as { cause?: NodeJS.ErrnoException })?.cause?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new DownloadError(`The disk is full: the model does not fit in ${cacheDir}.`, 'disk');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOTDIR' || code === 'EEXIST') {
    return new DownloadError(`Cannot write the model cache ${cacheDir} (${code}).`, 'disk');
  }
  const host = new URL(url).host;
  return new DownloadError(`Cannot download the model: ${host} is not reachable (offline?).`, 'offline');
}

/**
 * Downloads `url` to `dest` (through `dest.part`, renamed when complete and checked to be a GGUF),
 * reporting progress. Fails with a DownloadError: offline, HTTP error, disk full or unwritable.
 */
export async function downloadModel(url: string, dest: string, onProgress: (p: DownloadProgress) => void, signal?: AbortSignal): Promise<string> {
  const dir = path.dirname(dest);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw describeDownloadError(err, url, dir);
  }
  const part = `${dest}.part`;
  const controller = new AbortController();
  const abort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', abort, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const headersTimer = setTimeout(() => controller.abort(new Error('no answer')), HEADERS_TIMEOUT_MS);
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      throw describeDownloadError(err, url, dir);
    } finally {
      clearTimeout(headersTimer);
    }
    if (!res.ok || !res.body) throw new DownloadError(`Cannot download the model: ${new URL(url).host} answered HTTP ${res.status}.`, 'http');
    const total = Number(res.headers.get('content-length')) || null;
    if (total !== null) {
      const fs = await statfs(dir).catch(() => null);
      if (fs && fs.bavail * fs.bsize < total) {
        throw new DownloadError(`The disk is full: the model needs ${Math.ceil(total / 1e6)} MB and ${dir} has ${Math.floor((fs.bavail * fs.bsize) / 1e6)} MB free.`, 'disk');
      }
    }
    const startedAt = performance.now();
    let bytes = 0;
    const report = () => {
      const elapsed = (performance.now() - startedAt) / 1000;
      const rate = elapsed > 0 ? bytes / elapsed : 0;
      onProgress({
        bytes,
        totalBytes: total,
        percent: total ? Math.min(100, Math.floor((bytes / total) * 100)) : null,
        etaSeconds: total && rate > 0 ? Math.max(0, Math.round((total - bytes) / rate)) : null,
      });
    };
    report();
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => body.destroy(new DownloadError('Cannot download the model: the transfer stalled.', 'offline')), IDLE_TIMEOUT_MS);
    };
    armIdle();
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      armIdle();
      report();
    });
    try {
      await pipeline(body, createWriteStream(part));
    } catch (err) {
      await rm(part, { force: true });
      throw describeDownloadError(err, url, dir);
    }
    if (total !== null && bytes !== total) {
      await rm(part, { force: true });
      throw new DownloadError(`Cannot download the model: the transfer ended at ${bytes} of ${total} bytes.`, 'offline');
    }
    const fh = await open(part, 'r');
    const magic = Buffer.alloc(4);
    await fh.read(magic, 0, 4, 0);
    await fh.close();
    if (magic.toString('ascii') !== 'GGUF') {
      await rm(part, { force: true });
      throw new DownloadError(`The file at ${new URL(url).host} is not a GGUF model.`, 'notGguf');
    }
    await rename(part, dest);
    return dest;
  } finally {
    clearTimeout(idle);
    signal?.removeEventListener('abort', abort);
  }
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then((s) => s.isFile(), () => false);
}
