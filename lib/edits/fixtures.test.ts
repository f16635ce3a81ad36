import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EditStreamParser, type EditBlock, type EditEvent } from './parser';
import { applyBlock } from './apply';
import { resolvePath } from './paths';

const root = join(import.meta.dirname, 'fixtures');
const read = (dir: string, name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : null);
const lines = (s: string | null) => (s === null ? [] : s.split('\n').map((l) => l.trim()).filter(Boolean));

function blocks(events: EditEvent[]): EditBlock[] {
  return events.filter((e): e is Extract<EditEvent, { type: 'blockClose' }> => e.type === 'blockClose').map(({ index, path, search, replace }) => ({ index, path, search, replace }));
}

describe('matcher fixtures (lib/edits/fixtures/README.md)', () => {
  const cases = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory());
  it('has cases', () => assert.ok(cases.length >= 10));
  for (const c of cases) {
    it(c.name, () => {
      const dir = join(root, c.name);
      const before = read(dir, 'before.txt');
      const edit = read(dir, 'edit.txt');
      const expected = read(dir, 'expected.txt');
      const expectedError = read(dir, 'expected-error.txt')?.trim() ?? null;
      const expectedMatch = lines(read(dir, 'expected-match.txt'));
      const expectedCandidates = lines(read(dir, 'expected-candidates.txt')).map(Number);
      // With path.txt the answer must name the file itself: no default path to fall back on.
      const path = read(dir, 'path.txt')?.trim() ?? null;
      const workspace = [...(path !== null && before !== null ? [path] : []), ...lines(read(dir, 'workspace.txt'))];
      assert.ok(edit !== null, 'edit.txt is missing');
      assert.ok((expected === null) !== (expectedError === null), 'exactly one of expected.txt and expected-error.txt');

      const options = path === null ? { defaultPath: 'file' } : { resolvePath: (p: string) => resolvePath(p, workspace) };
      const whole = new EditStreamParser(options);
      const parsed = blocks([...whole.push(edit), ...whole.end()]);
      const byChar = new EditStreamParser(options);
      const events: EditEvent[] = [];
      for (const ch of edit) events.push(...byChar.push(ch));
      events.push(...byChar.end());
      assert.deepEqual(blocks(events), parsed, 'chunking does not change the blocks');
      assert.ok(parsed.length > 0, 'the answer has blocks');

      let text = before;
      const matches: string[] = [];
      for (const block of parsed) {
        if (path !== null) assert.equal(block.path, path, `block ${block.index} names its file`);
        const r = applyBlock(text, block);
        if (!r.ok) {
          assert.equal(r.reason, expectedError, `block ${block.index} refused as ${r.reason}`);
          if (expectedCandidates.length > 0) {
            assert.ok(r.reason === 'ambiguous');
            assert.deepEqual(r.candidates.map((k) => k.line), expectedCandidates, 'candidate lines');
          }
          return;
        }
        matches.push(r.match);
        text = r.text;
      }
      assert.equal(expectedError, null, `expected the refusal ${expectedError}, but every block applied`);
      assert.equal(text, expected);
      if (expectedMatch.length > 0) assert.deepEqual(matches, expectedMatch, 'how each block was applied');
    });
  }
});
