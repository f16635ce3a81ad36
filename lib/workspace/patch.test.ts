import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { diffSnapshots, type FileState, type Snapshot } from './changes';
import { buildPatch, gitBlobId, quotePath } from './patch';
import { buildZip } from './export-zip';

// The patch export is judged by git itself: the base is written to a real repository, the patch
// goes through `git apply`, and the tree must then equal the session's files byte for byte.

const blobs = new Map<string, Uint8Array>();
function bin(bytes: Uint8Array): FileState {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  blobs.set(sha256, bytes);
  return { kind: 'binary', sha256, size: bytes.length };
}
const text = (t: string): FileState => ({ kind: 'text', text: t });
const read = async (sha: string) => blobs.get(sha)!;
const randomBytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17 + ((i * i) >> 3)) & 0xff);

const base: Snapshot = new Map([
  ['src/app.ts', text('line 1\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n')],
  ['src/old name.ts', text('export const moved = true;\n')],
  ['docs/café.md', text('# Café\n')],
  ['gone.txt', text('bye\n')],
  ['no-newline.txt', text('a\nb')],
  ['img/logo.png', bin(randomBytes(300, 1))],
  ['img/old.bin', bin(randomBytes(70, 2))],
  ['empty-gone.txt', text('')],
]);
const current: Snapshot = new Map([
  ['src/app.ts', text('line 1\nline two\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n')],
  ['src/new name.ts', text('export const moved = true;\n')],
  ['docs/café.md', text('# Café ☕\n\nOuvert tous les jours.\n')],
  ['no-newline.txt', text('a\nc')],
  ['img/logo.png', bin(randomBytes(400, 3))],
  ['img/new pic.png', bin(randomBytes(1000, 4))],
  ['added dir/файл.txt', text('привет\n')],
  ['empty.txt', text('')],
]);

function writeTree(dir: string, files: Snapshot) {
  for (const [p, f] of files) {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), f.kind === 'text' ? f.text : blobs.get(f.sha256)!);
  }
}
function readTree(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(path.join(dir, rel))) {
    if (name === '.git') continue;
    const p = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, p)).isDirectory()) for (const [k, v] of readTree(dir, p)) out.set(k, v);
    else out.set(p, readFileSync(path.join(dir, p)));
  }
  return out;
}

describe('patch export', () => {
  it('is applied by git apply: modified, added, deleted, renamed, binary, Unicode and spaced names', async () => {
    const patch = await buildPatch(base, current, read);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flint-patch-'));
    try {
      execFileSync('git', ['init', '-q', dir]);
      writeTree(dir, base);
      const file = path.join(os.tmpdir(), `flint-${process.pid}.patch`);
      writeFileSync(file, patch);
      execFileSync('git', ['apply', '--check', file], { cwd: dir });
      execFileSync('git', ['apply', file], { cwd: dir });
      const tree = readTree(dir);
      assert.deepEqual([...tree.keys()].sort(), [...current.keys()].sort());
      for (const [p, f] of current) assert.deepEqual(new Uint8Array(tree.get(p)!), f.kind === 'text' ? new TextEncoder().encode(f.text) : blobs.get(f.sha256), p);
      assert.match(patch, /rename from src\/old name\.ts\nrename to src\/new name\.ts/);
      assert.match(patch, /GIT binary patch\nliteral 1000/);
      assert.ok(patch.includes('"b/docs/caf\\303\\251.md"'));
      rmSync(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is empty when nothing changed, and the changes list matches the patch', async () => {
    assert.equal(await buildPatch(base, base, read), '');
    assert.deepEqual(
      diffSnapshots(base, current).map((c) => `${c.change} ${c.path}`).sort(),
      ['added added dir/файл.txt', 'modified docs/café.md', 'added empty.txt', 'deleted empty-gone.txt', 'deleted gone.txt', 'added img/new pic.png', 'modified img/logo.png', 'deleted img/old.bin', 'modified no-newline.txt', 'modified src/app.ts', 'added src/new name.ts', 'deleted src/old name.ts'].sort(),
    );
  });

  it('names blobs as git does, and quotes paths as git does', async () => {
    assert.equal(await gitBlobId(new Uint8Array()), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    assert.equal(quotePath('a/plain name.ts'), 'a/plain name.ts');
    assert.equal(quotePath('a/"q".ts'), '"a/\\"q\\".ts"');
  });
});

describe('zip export', () => {
  it('holds every file byte for byte', async () => {
    const zip = await buildZip(current, read);
    const out = unzipSync(zip);
    assert.deepEqual(Object.keys(out).sort(), [...current.keys()].sort());
    for (const [p, f] of current) assert.deepEqual(out[p], f.kind === 'text' ? new TextEncoder().encode(f.text) : blobs.get(f.sha256), p);
  });
});
