import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FilePath } from '@/lib/protocol/values';
import { alwaysSkipped, decodeText, GitignoreRules, selectFiles } from './intake';

const limits = { maxFiles: 100, maxBytes: 1_000_000, maxFileBytes: 100_000 };

describe('FilePath (widened for real projects)', () => {
  for (const p of ['src/a.ts', 'docs/café menu.md', '日本語/ファイル.txt', '😀 emoji.png', 'a b/c d', '.github/workflows/ci.yml', '@scope/pkg', 'x(1)[2]{3}#&$!.txt']) {
    it(`takes ${JSON.stringify(p)}`, () => assert.equal(FilePath.safeParse(p).success, true));
  }
  for (const p of ['', '/etc/passwd', 'a/../b', '..', './a', 'a//b', 'a/', 'a\\b', 'tab\there', 'nl\nx', 'del\u007f', 'c1\u0085', 'sep\u2028', '\ud800lone', ' /a', 'a/ ', 'x'.repeat(300)]) {
    it(`refuses ${JSON.stringify(p.slice(0, 20))}`, () => assert.equal(FilePath.safeParse(p).success, false));
  }
});

describe('intake rules', () => {
  it('skips build and dependency folders wherever they are', () => {
    assert.equal(alwaysSkipped('node_modules/x/index.js'), true);
    assert.equal(alwaysSkipped('packages/app/node_modules/x.js'), true);
    assert.equal(alwaysSkipped('.git/HEAD'), true);
    assert.equal(alwaysSkipped('pkg/__pycache__/a.pyc'), true);
    assert.equal(alwaysSkipped('src/build.ts'), false);
    assert.equal(alwaysSkipped('.DS_Store'), true);
  });

  it('honours each .gitignore for its own folder, negations included', () => {
    const rules = new GitignoreRules();
    rules.add('.gitignore', '*.log\n/secret\n!keep.log\n');
    rules.add('web/.gitignore', 'generated/\n');
    assert.equal(rules.ignores('a.log'), true);
    assert.equal(rules.ignores('deep/b.log'), true);
    assert.equal(rules.ignores('keep.log'), false);
    assert.equal(rules.ignores('secret/x'), true);
    assert.equal(rules.ignores('web/secret/x'), false);
    assert.equal(rules.ignores('web/generated/a.ts'), true);
    assert.equal(rules.ignores('generated/a.ts'), false);
  });

  it('counts skipped files and names the file that breaks a limit', () => {
    const files = [
      { path: 'a.ts', size: 10 },
      { path: 'b.log', size: 10 },
      { path: 'node_modules/x.js', size: 10 },
    ];
    const r = selectFiles(files, new Map([['.gitignore', '*.log']]), limits);
    assert.deepEqual(r.kept.map((f) => f.path), ['a.ts']);
    assert.equal(r.skipped, 2);
    assert.throws(() => selectFiles([{ path: 'huge.bin', size: 200_000 }], new Map(), limits), { code: 'limitExceeded', message: /huge\.bin is 195\.3 KiB, over the 97\.7 KiB limit for one file/ });
    assert.throws(() => selectFiles([{ path: 'bad\u0000.txt', size: 1 }], new Map(), limits), { code: 'importInvalid', message: /control characters/ });
  });

  it('reads UTF-8 without NUL as text, anything else as binary', () => {
    assert.equal(decodeText(new TextEncoder().encode('héllo ✓')), 'héllo ✓');
    assert.equal(decodeText(new Uint8Array([0x68, 0x00, 0x69])), null);
    assert.equal(decodeText(new Uint8Array([0xff, 0xfe, 0x41])), null);
  });
});
