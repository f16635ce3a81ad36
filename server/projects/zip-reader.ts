import { Inflate } from 'fflate';

/**
 * Reads a zip's entries without trusting it: the central directory is parsed here (fflate's
 * reader does not expose the entry attributes) so that entries which would land outside the
 * project are refused before anything is inflated.
 *
 * Invariants:
 * - A name with `..` segments, a leading `/` or drive letter, a backslash or a control
 *   character, and any entry whose Unix mode is not a regular file or directory (symlink,
 *   device, FIFO, socket), refuse the whole zip with a message naming the entry: nothing is
 *   ever written to a disk from it, and a session is only created from a zip read whole.
 * - Sizes are the declared ones, checked against the limits before inflating; what inflates is
 *   checked again (a zip bomb lies about sizes) and inflation stops at the declared size.
 * - Only stored (0) and deflated (8) entries; encrypted ones are refused.
 */
export class ZipError extends Error {
  readonly code = 'importInvalid';
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  path: string;
  size: number;
  /** Inflates the entry (at most its declared size). */
  read(): Uint8Array;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

export function readZip(zip: Uint8Array, maxEntries: number): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // End of central directory: the last 22 bytes plus a comment of up to 65535.
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('This is not a zip file (no central directory found); it may be corrupt or truncated.');
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported; make a regular zip (under 4 GiB, fewer than 65535 entries).');
  if (cdOffset + cdSize > zip.length) throw new ZipError('The zip is corrupt or truncated (its directory points past its end).');
  if (count > maxEntries * 4 + 1000) throw new ZipError(`The zip has ${count} entries, far over the import limit of ${maxEntries} files (FLINT_IMPORT_MAX_FILES).`);
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > zip.length || view.getUint32(p, true) !== 0x02014b50) throw new ZipError('The zip is corrupt (a directory entry is damaged).');
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const compressed = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    const madeBy = view.getUint16(p + 4, true) >> 8;
    const external = view.getUint32(p + 38, true);
    const localOffset = view.getUint32(p + 42, true);
    const rawName = zip.subarray(p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    // Bit 11: UTF-8 names. Without it the name is CP437; ASCII reads the same either way.
    const name = decoder.decode(rawName);
    const shown = JSON.stringify(name.slice(0, 200));
    if (flags & 1) throw new ZipError(`${shown} is encrypted; Flint imports only unencrypted zips.`);
    const isDirName = name.endsWith('/');
    const mode = madeBy === 3 ? external >>> 16 : 0; // 3: Unix, whose mode is in the high 16 bits
    if (mode && (mode & S_IFMT) !== S_IFREG && (mode & S_IFMT) !== S_IFDIR) {
      const kind = (mode & S_IFMT) === 0o120000 ? 'a symbolic link' : 'a device or special file';
      throw new ZipError(`${shown} is ${kind}; a zip with links or special files is refused (they could point outside the project).`);
    }
    if (/^[A-Za-z]:/.test(name) || name.startsWith('/') || name.includes('\\')) {
      throw new ZipError(`${shown} is an absolute path; every entry must be inside the project.`);
    }
    const clean = name.replace(/\/+$/, '');
    if (clean.split('/').some((s) => s === '..')) throw new ZipError(`${shown} points outside the project (..); the zip is refused.`);
    if (/[\p{Cc}]/u.test(name)) throw new ZipError(`${shown} has control characters in its name.`);
    if (isDirName || (mode & S_IFMT) === S_IFDIR) continue;
    if (method !== 0 && method !== 8) throw new ZipError(`${shown} uses compression method ${method}; only stored and deflated entries are supported.`);
    // A leading "./" and repeated slashes are harmless: clean them. A single top folder is kept here (the caller strips it).
    const path = clean.replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
    entries.push({
      path,
      size,
      read: () => {
        if (localOffset + 30 > zip.length || view.getUint32(localOffset, true) !== 0x04034b50) throw new ZipError(`${shown} is corrupt (its local header is missing).`);
        const start = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
        if (start + compressed > zip.length) throw new ZipError(`${shown} is truncated.`);
        const data = zip.subarray(start, start + compressed);
        if (method === 0) {
          if (compressed !== size) throw new ZipError(`${shown} is corrupt: its stored size differs from its size.`);
          return data.slice();
        }
        return inflateBounded(data, size, shown);
      },
    });
  }
  return entries;
}

/** When every path starts with the same folder (a zip of "my-app/"), that folder's name; else null. */
export function commonTopFolder(paths: string[]): string | null {
  if (paths.length === 0) return null;
  const first = paths[0].split('/')[0];
  return paths.every((p) => p.includes('/') && p.split('/')[0] === first) ? first : null;
}

/** Inflates at most `size` bytes, fed in small slices so a bomb never expands far past it in memory. */
function inflateBounded(data: Uint8Array, size: number, shown: string): Uint8Array {
  const out = new Uint8Array(size);
  let filled = 0;
  let ended = false;
  const lies = () => new ZipError(`${shown} is corrupt: it inflates to a different size than it declares.`);
  const inflate = new Inflate((chunk, final) => {
    if (filled + chunk.length > size) throw lies();
    out.set(chunk, filled);
    filled += chunk.length;
    if (final) ended = true;
  });
  try {
    const SLICE = 16 * 1024;
    for (let i = 0; i < data.length || i === 0; i += SLICE) inflate.push(data.subarray(i, i + SLICE), i + SLICE >= data.length);
  } catch (err) {
    if (err instanceof ZipError) throw err;
    throw new ZipError(`${shown} is corrupt (it does not inflate).`);
  }
  if (!ended || filled !== size) throw lies();
  return out;
}
