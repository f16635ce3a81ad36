import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EditStreamParser, type EditBlock, type EditEvent } from './parser';
import { applyBlock } from './apply';
import { resolvePath } from './paths';

/**
 * Property tests: one edit rendered in every format variant the parser and matcher accept must
 * apply to the same text; malformed answers never throw and never change a file partially.
 * Seeds are fixed so a failure reproduces; fast-check prints the shrunk counterexample.
 */

const SEED = 19;
const RUNS = 300;

const PATH = 'src/mod/cart.ts';
const WORKSPACE = [PATH, 'src/other.ts', 'README.md'];

/** Feeds `answer` split at `cuts` (positions) and returns every event. */
function parse(answer: string, cuts: number[] = []): EditEvent[] {
  const p = new EditStreamParser({ resolvePath: (w) => resolvePath(w, WORKSPACE) });
  const events: EditEvent[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut <= from || cut >= answer.length) continue;
    events.push(...p.push(answer.slice(from, cut)));
    from = cut;
  }
  events.push(...p.push(answer.slice(from)), ...p.end());
  return events;
}

const closed = (events: EditEvent[]): EditBlock[] =>
  events.filter((e): e is Extract<EditEvent, { type: 'blockClose' }> => e.type === 'blockClose').map(({ index, path, search, replace }) => ({ index, path, search, replace }));

// ---- Generated files and edits ----

/** A file of distinct, indented, non-blank lines (distinct so that any range of them is unique). */
const fileArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom('const', 'let', 'call', 'return', 'if', 'log')), { minLength: 3, maxLength: 30 }).map((specs) =>
  specs.map(([depth, word], i) => `${'  '.repeat(depth)}${word} v${i} = ${i * 7};`),
);

interface Edit {
  file: string[];
  start: number;
  end: number;
  /** New lines, each indented at least as deep as the searched lines' common indentation. */
  replacement: string[];
}

const indentOf = (l: string) => /^ */.exec(l)![0];
const common = (lines: string[]) => lines.map(indentOf).reduce((a, b) => (a.length <= b.length ? a : b));

const editArb: fc.Arbitrary<Edit> = fileArb.chain((file) =>
  fc
    .tuple(fc.integer({ min: 0, max: file.length - 1 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.nat(999)), { maxLength: 4 }))
    .map(([start, len, news]) => {
      const end = Math.min(file.length, start + len);
      const base = common(file.slice(start, end));
      return { file, start, end, replacement: news.map(([d, n]) => `${base}${'  '.repeat(d)}new w${n} = ${n};`) };
    }),
);

const text = (lines: string[]) => lines.map((l) => l + '\n').join('');
const expectedOf = (e: Edit) => text([...e.file.slice(0, e.start), ...e.replacement, ...e.file.slice(e.end)]);

// ---- Rendering ----

interface Format {
  header: 'plain' | 'heading' | 'backticks' | 'bold' | 'dotSlash' | 'basename' | 'fileLabel' | 'colon' | 'inFence' | 'fenceInfo';
  fence: 'none' | 'bare' | 'tagged';
  open: number;
  divider: number;
  close: number;
  markerIndent: number;
  whitespace: 'none' | 'leadingBlank' | 'trailingBlank' | 'trailingSpaces' | 'shifted';
}

const formatArb: fc.Arbitrary<Format> = fc.record({
  header: fc.constantFrom('plain', 'heading', 'backticks', 'bold', 'dotSlash', 'basename', 'fileLabel', 'colon', 'inFence', 'fenceInfo'),
  fence: fc.constantFrom('none', 'bare', 'tagged'),
  open: fc.integer({ min: 5, max: 9 }),
  divider: fc.integer({ min: 5, max: 9 }),
  close: fc.integer({ min: 5, max: 9 }),
  markerIndent: fc.constantFrom(0, 0, 2, 4),
  whitespace: fc.constantFrom('none', 'leadingBlank', 'trailingBlank', 'trailingSpaces', 'shifted'),
});

const CANONICAL: Format = { header: 'plain', fence: 'none', open: 7, divider: 7, close: 7, markerIndent: 0, whitespace: 'none' };

function headerLine(f: Format): string {
  switch (f.header) {
    case 'plain':
    case 'inFence':
    case 'fenceInfo':
      return PATH;
    case 'heading':
      return `### ${PATH}`;
    case 'backticks':
      return `\`${PATH}\``;
    case 'bold':
      return `**${PATH}**`;
    case 'dotSlash':
      return `./${PATH}`;
    case 'basename':
      return 'cart.ts';
    case 'fileLabel':
      return `File: \`${PATH}\``;
    case 'colon':
      return `${PATH}:`;
  }
}

function render(e: Edit, f: Format): string {
  let search = e.file.slice(e.start, e.end);
  let replace = [...e.replacement];
  if (f.whitespace === 'trailingSpaces') search = search.map((l, i) => l + ' '.repeat(1 + (i % 3)));
  if (f.whitespace === 'shifted') {
    search = search.map((l) => '    ' + l);
    replace = replace.map((l) => '    ' + l);
  }
  if (f.whitespace === 'leadingBlank') {
    search = ['', ...search];
    replace = ['', ...replace];
  }
  if (f.whitespace === 'trailingBlank') search = [...search, ''];
  const ind = ' '.repeat(f.markerIndent);
  const block = [`${ind}${'<'.repeat(f.open)} SEARCH`, ...search, `${ind}${'='.repeat(f.divider)}`, ...replace, `${ind}${'>'.repeat(f.close)} REPLACE`];
  const lines = ['Here is the change.', ''];
  const fence = f.header === 'fenceInfo' ? '```' + PATH : f.fence === 'tagged' ? '```ts' : f.fence === 'bare' ? '```' : null;
  const header = f.header === 'fenceInfo' ? [] : [headerLine(f)];
  if (fence === null) lines.push(...header, ...block);
  else if (f.header === 'inFence') lines.push(fence, ...header, ...block, '```');
  else lines.push(...header, fence, ...block, '```');
  lines.push('', 'Done.');
  return lines.join('\n') + '\n';
}

function applyAll(before: string | null, answer: string, cuts: number[] = []): { text: string | null; blocks: EditBlock[]; failures: number } {
  const blocks = closed(parse(answer, cuts));
  let t = before;
  let failures = 0;
  for (const b of blocks) {
    const r = applyBlock(t, b);
    if (r.ok) t = r.text;
    else failures++;
  }
  return { text: t, blocks, failures };
}

describe('property: every format variant applies to the same result', () => {
  it('the canonical rendering applies to the expected text', () => {
    fc.assert(
      fc.property(editArb, (e) => {
        const r = applyAll(text(e.file), render(e, CANONICAL));
        assert.equal(r.failures, 0);
        assert.equal(r.text, expectedOf(e));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('each variant (path wrapping, fences, marker lengths and indentation, SEARCH whitespace) gives the same text, however chunked', () => {
    fc.assert(
      fc.property(editArb, formatArb, fc.array(fc.nat(2000), { maxLength: 12 }), (e, f, cuts) => {
        const answer = render(e, f);
        const r = applyAll(text(e.file), answer, cuts);
        assert.equal(r.blocks.length, 1, 'one block');
        assert.equal(r.blocks[0].path, PATH);
        assert.equal(r.failures, 0, 'applies');
        assert.equal(r.text, expectedOf(e));
      }),
      { seed: SEED, numRuns: RUNS * 3 },
    );
  });

  it('an elided SEARCH (... for the kept middle) applies like the full one', () => {
    const elidable = fileArb
      .filter((f) => f.length >= 5)
      .chain((file) =>
        fc.tuple(fc.integer({ min: 0, max: file.length - 4 }), fc.integer({ min: 3, max: 6 }), fc.nat(99)).map(([start, len, n]) => {
          const end = Math.min(file.length, start + len);
          const first = `${indentOf(file[start])}first x${n} = 1;`;
          const last = `${indentOf(file[end - 1])}last x${n} = 2;`;
          return { file, start, end, first, last };
        }),
      );
    fc.assert(
      fc.property(elidable, fc.constantFrom('...', '  ...', '…'), ({ file, start, end, first, last }, dots) => {
        const expected = text([...file.slice(0, start), first, ...file.slice(start + 1, end - 1), last, ...file.slice(end)]);
        const search = [file[start], dots, file[end - 1]];
        const replace = [first, dots, last];
        const answer = [PATH, '<<<<<<< SEARCH', ...search, '=======', ...replace, '>>>>>>> REPLACE', ''].join('\n');
        const r = applyAll(text(file), answer);
        assert.equal(r.failures, 0);
        assert.equal(r.text, expected);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('an empty SEARCH creates a missing file and appends to an existing one', () => {
    fc.assert(
      fc.property(fileArb, fc.boolean(), (file, exists) => {
        const answer = [PATH, '```ts', '<<<<<<< SEARCH', '=======', 'export const added = 1;', '>>>>>>> REPLACE', '```', ''].join('\n');
        const before = exists ? text(file) : null;
        const blocks = closed(parse(answer));
        const r = applyBlock(before, blocks[0]);
        assert.ok(r.ok);
        assert.equal(r.match, exists ? 'append' : 'create');
        assert.equal(r.text, (before ?? '') + 'export const added = 1;\n');
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

// ---- Malformed answers ----

const junkLine = fc.oneof(
  fc.constantFrom(
    '<<<<<<< SEARCH',
    '<<<<< SEARCH',
    '<<<< SEARCH',
    '  <<<<<<< SEARCH',
    '<<<<<<<<<< SEARCH',
    '=======',
    '=====',
    '======= x',
    '  =======',
    '>>>>>>> REPLACE',
    '>>>>>>> REPLAC',
    '>>>>> REPLACE',
    '```',
    '```ts',
    '```src/mod/cart.ts',
    PATH,
    `### ${PATH}`,
    '**cart.ts**',
    '...',
    '',
    '   ',
    'Sure, here is the fix:',
    'ts',
    '\r',
  ),
  fc.string({ maxLength: 12 }),
);

describe('property: malformed answers', () => {
  it('never throw, pair every blockOpen with one close or abort, and never change a file partially', () => {
    fc.assert(
      fc.property(fileArb, fc.array(junkLine, { maxLength: 40 }), fc.nat(), fc.array(fc.nat(2000), { maxLength: 10 }), (file, junk, cutAt, cuts) => {
        const full = junk.join('\n');
        const answer = full.slice(0, cutAt % (full.length + 1)); // truncated anywhere
        const events = parse(answer, cuts);
        const open = new Set<number>();
        for (const ev of events) {
          if (ev.type === 'blockOpen') open.add(ev.index);
          else if (ev.type === 'blockClose' || ev.type === 'blockAbort') assert.ok(open.delete(ev.index), `block ${ev.index} ends once`);
        }
        assert.equal(open.size, 0, 'every block ended');
        assert.deepEqual(closed(events), closed(parse(answer)), 'chunking does not change the blocks');

        let t: string | null = text(file);
        for (const b of closed(events)) {
          const before: string | null = t;
          const r = applyBlock(before, b);
          if (!r.ok) {
            assert.ok(r.detail.length > 0);
            continue;
          }
          // The change is exactly the reported range: nothing outside it moved.
          const old: string = before ?? '';
          assert.equal(r.text.slice(0, r.range.start), old.slice(0, r.range.start));
          assert.equal(r.text.slice(r.replacementRange.end), old.slice(r.range.end));
          t = r.text;
        }
      }),
      { seed: SEED, numRuns: RUNS * 3 },
    );
  });
});
