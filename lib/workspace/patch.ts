import { structuredPatch } from 'diff';
import { zlibSync } from 'fflate';
import { sameContent, type FileState, type Snapshot } from './changes';

/**
 * The session's changes against its imported base as a git-style unified diff that `git apply`
 * accepts: text hunks (3 lines of context), new, deleted and renamed files (a rename when a
 * deleted and an added file have the same content), and binary files as git binary patches
 * (`GIT binary patch`, zlib-deflated, git's base85, forward and reverse literals). Every file
 * carries a full `index` line: git refuses a binary patch without one.
 * Paths are quoted as git quotes them (C-style, non-ASCII as octal UTF-8 bytes).
 * Loaded by a dynamic import where the person clicks "Download patch" (it pulls in diff and fflate).
 */
export type BlobReader = (sha256: string) => Promise<Uint8Array>;

const enc = new TextEncoder();
const ZERO = '0000000000000000000000000000000000000000';

async function bytesOf(f: FileState, blob: BlobReader): Promise<Uint8Array> {
  return f.kind === 'text' ? enc.encode(f.text) : blob(f.sha256);
}

/** git's object id of a blob: SHA-1 of `blob <size>\0<bytes>`. */
export async function gitBlobId(bytes: Uint8Array): Promise<string> {
  const head = enc.encode(`blob ${bytes.length}\0`);
  const all = new Uint8Array(head.length + bytes.length);
  all.set(head);
  all.set(bytes, head.length);
  const digest = await crypto.subtle.digest('SHA-1', all);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A path as git writes it in a patch header: quoted when it has control, quote, backslash or non-ASCII characters. */
export function quotePath(p: string): string {
  if (!/[\u0000-\u001f"\\\u007f-\uffff]/.test(p)) return p;
  let out = '"';
  for (const b of enc.encode(p)) {
    if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return `${out}"`;
}

const B85 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~';

/** One `literal` hunk of a git binary patch: the bytes deflated, 52 per line in base85. */
export function binaryLiteral(bytes: Uint8Array): string {
  const z = zlibSync(bytes);
  const lines = [`literal ${bytes.length}`];
  for (let off = 0; off < z.length; off += 52) {
    const chunk = z.subarray(off, off + 52);
    const n = chunk.length;
    let line = n <= 26 ? String.fromCharCode(64 + n) : String.fromCharCode(96 + n - 26);
    for (let i = 0; i < n; i += 4) {
      let acc = ((chunk[i] << 24) | ((chunk[i + 1] ?? 0) << 16) | ((chunk[i + 2] ?? 0) << 8) | (chunk[i + 3] ?? 0)) >>> 0;
      const group = new Array<string>(5);
      for (let k = 4; k >= 0; k--) {
        group[k] = B85[acc % 85];
        acc = Math.floor(acc / 85);
      }
      line += group.join('');
    }
    lines.push(line);
  }
  return `${lines.join('\n')}\n`;
}

function textHunks(oldText: string, newText: string): string {
  const patch = structuredPatch('a', 'b', oldText, newText, '', '', { context: 3 });
  let out = '';
  for (const h of patch.hunks) {
    const oldStart = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const newStart = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    out += `@@ -${Math.max(0, oldStart)},${h.oldLines} +${Math.max(0, newStart)},${h.newLines} @@\n`;
    for (const line of h.lines) out += `${line}\n`;
  }
  return out;
}

async function fileDiff(path: string, was: FileState | undefined, now: FileState | undefined, blob: BlobReader): Promise<string> {
  const a = quotePath(`a/${path}`);
  const b = quotePath(`b/${path}`);
  const oldBytes = was ? await bytesOf(was, blob) : new Uint8Array();
  const newBytes = now ? await bytesOf(now, blob) : new Uint8Array();
  const oldId = was ? await gitBlobId(oldBytes) : ZERO;
  const newId = now ? await gitBlobId(newBytes) : ZERO;
  let out = `diff --git ${a} ${b}\n`;
  if (!was) out += `new file mode 100644\nindex ${ZERO}..${newId}\n`;
  else if (!now) out += `deleted file mode 100644\nindex ${oldId}..${ZERO}\n`;
  else out += `index ${oldId}..${newId} 100644\n`;
  const binary = was?.kind === 'binary' || now?.kind === 'binary';
  if (binary) return `${out}GIT binary patch\n${binaryLiteral(newBytes)}\n${binaryLiteral(oldBytes)}\n`;
  const oldText = was?.kind === 'text' ? was.text : '';
  const newText = now?.kind === 'text' ? now.text : '';
  const hunks = textHunks(oldText, newText);
  if (!hunks) return out; // an empty file added or deleted: the header says it all
  return `${out}--- ${was ? a : '/dev/null'}\n+++ ${now ? b : '/dev/null'}\n${hunks}`;
}

export async function buildPatch(base: Snapshot, current: Snapshot, blob: BlobReader): Promise<string> {
  const added = [...current.keys()].filter((p) => !base.has(p));
  const deleted = new Set([...base.keys()].filter((p) => !current.has(p)));
  // A deleted file whose exact content reappears under a new path is a rename.
  const renames = new Map<string, string>();
  for (const to of added) {
    const from = [...deleted].find((d) => sameContent(base.get(d)!, current.get(to)!) && (current.get(to)!.kind === 'binary' || (current.get(to) as { text: string }).text.length > 0));
    if (from) {
      renames.set(to, from);
      deleted.delete(from);
    }
  }
  const paths = [...new Set([...base.keys(), ...current.keys()])].sort();
  let out = '';
  for (const path of paths) {
    const was = base.get(path);
    const now = current.get(path);
    if (renames.has(path)) {
      const from = renames.get(path)!;
      out += `diff --git ${quotePath(`a/${from}`)} ${quotePath(`b/${path}`)}\nsimilarity index 100%\nrename from ${quotePath(from)}\nrename to ${quotePath(path)}\n`;
      continue;
    }
    if (!now && was && [...renames.values()].includes(path)) continue;
    if (was && now && sameContent(was, now)) continue;
    out += await fileDiff(path, was, now, blob);
  }
  return out;
}
