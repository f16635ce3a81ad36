import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EditStreamParser, type EditEvent, type EditStreamParserOptions } from './parser';

// ---- helpers ---------------------------------------------------------------------------------

/** Concatenates consecutive text events and consecutive deltas of one kind: how chunking may differ. */
function normalise(events: EditEvent[]): EditEvent[] {
  const out: EditEvent[] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    const streamed = e.type === 'text' || e.type === 'searchDelta' || e.type === 'replaceDelta';
    if (streamed && last?.type === e.type) (last as { text: string }).text += e.text;
    else out.push({ ...e });
  }
  return out;
}

function run(chunks: string[], options?: EditStreamParserOptions): EditEvent[] {
  const parser = new EditStreamParser(options);
  const events = chunks.flatMap((c) => parser.push(c));
  return normalise([...events, ...parser.end()]);
}

/** mulberry32: a small seeded PRNG so random chunkings are reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChunks(text: string, random: () => number, max = 12): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(random() * max);
    chunks.push(text.slice(i, i + n));
    i += n;
  }
  return chunks;
}

const lines = (...ls: string[]) => ls.join('\n');
const text = (t: string): EditEvent => ({ type: 'text', text: t });
const open = (index: number, path: string | null): EditEvent => ({ type: 'blockOpen', index, path });
/** The events of a complete block whose sections are non-empty unless given as ''. */
function block(index: number, path: string | null, search: string, replace: string): EditEvent[] {
  return [
    open(index, path),
    ...(search ? [{ type: 'searchDelta' as const, index, text: search }] : []),
    { type: 'searchEnd', index, search },
    ...(replace ? [{ type: 'replaceDelta' as const, index, text: replace }] : []),
    { type: 'blockClose', index, path, search, replace },
  ];
}

// ---- fixtures: response → expected events (after normalise) ---------------------------------

const CART_SEARCH = '  total(): number {\n    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);\n';
const CART_REPLACE = '  total(): number {\n    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0) * (1 - this.discount);\n';

const CASES: { name: string; response: string; expected: EditEvent[]; options?: EditStreamParserOptions }[] = [
  {
    name: 'one block with prose around it',
    response: lines('Apply the discount:', '', 'src/cart.ts', '<<<<<<< SEARCH', CART_SEARCH + '=======', CART_REPLACE + '>>>>>>> REPLACE', '', 'That is all.', ''),
    expected: [text('Apply the discount:\n\n'), ...block(0, 'src/cart.ts', CART_SEARCH, CART_REPLACE), text('\nThat is all.\n')],
  },
  {
    name: 'several blocks in several files; a block without a path continues the previous file',
    response: lines(
      'src/a.ts', '<<<<<<< SEARCH', 'a1', '=======', 'A1', '>>>>>>> REPLACE',
      '<<<<<<< SEARCH', 'a2', '=======', 'A2', '>>>>>>> REPLACE',
      'Now the other file.',
      'File: lib/b.ts', '<<<<<<< SEARCH', 'b', '=======', '>>>>>>> REPLACE',
      '`c.md`', '<<<<<<< SEARCH', 'c', '=======', 'C', '>>>>>>> REPLACE', '',
    ),
    expected: [
      ...block(0, 'src/a.ts', 'a1\n', 'A1\n'),
      ...block(1, 'src/a.ts', 'a2\n', 'A2\n'),
      text('Now the other file.\n'),
      ...block(2, 'lib/b.ts', 'b\n', ''),
      ...block(3, 'c.md', 'c\n', 'C\n'),
    ],
  },
  {
    name: 'Aider-style fences (path, fence, block, fence) are dropped',
    response: lines(
      'Two edits.', '', 'src/a.ts', '```typescript', '<<<<<<< SEARCH', 'x', '=======', 'y', '>>>>>>> REPLACE', '```', '',
      'src/b.ts', '```', '<<<<<<< SEARCH', 'p', '=======', 'q', '>>>>>>> REPLACE', '', '```', 'Bye',
    ),
    expected: [text('Two edits.\n\n'), ...block(0, 'src/a.ts', 'x\n', 'y\n'), text('\n'), ...block(1, 'src/b.ts', 'p\n', 'q\n'), text('Bye')],
  },
  {
    name: 'one fence around several blocks (fence, path, block, path, block, fence) is dropped',
    response: lines('```', 'a.ts', '<<<<<<< SEARCH', '1', '=======', '2', '>>>>>>> REPLACE', 'b.ts', '<<<<<<< SEARCH', '3', '=======', '4', '>>>>>>> REPLACE', '```', ''),
    expected: [...block(0, 'a.ts', '1\n', '2\n'), ...block(1, 'b.ts', '3\n', '4\n')],
  },
  {
    name: 'fenced code in prose stays prose, including a closing fence right before a block',
    response: lines('Run:', '```sh', 'npm', 'test', '```', 'a.ts', '<<<<<<< SEARCH', '1', '=======', '2', '>>>>>>> REPLACE', 'Then:', '```', 'npm', '```', ''),
    expected: [text('Run:\n```sh\nnpm\ntest\n```\n'), ...block(0, 'a.ts', '1\n', '2\n'), text('Then:\n```\nnpm\n```\n')],
  },
  {
    name: 'a new file is a block with an empty SEARCH section',
    response: lines('src/new.ts', '<<<<<<< SEARCH', '=======', 'export const x = 1;', '', 'export const y = 2;', '>>>>>>> REPLACE'),
    expected: block(0, 'src/new.ts', '', 'export const x = 1;\n\nexport const y = 2;\n'),
  },
  {
    name: 'the last `>>>>>>> REPLACE` may lack a newline (and have trailing spaces)',
    response: lines('a.ts', '<<<<<<< SEARCH', 'x', '=======', 'y', '>>>>>>> REPLACE  '),
    expected: block(0, 'a.ts', 'x\n', 'y\n'),
  },
  {
    name: 'truncated mid-SEARCH: the block is aborted, never closed',
    response: lines('Fix:', 'a.ts', '<<<<<<< SEARCH', 'line one', 'line tw'),
    expected: [
      text('Fix:\n'),
      open(0, 'a.ts'),
      { type: 'searchDelta', index: 0, text: 'line one\nline tw' },
      { type: 'blockAbort', index: 0, path: 'a.ts', reason: 'truncated', partial: { search: 'line one\nline tw', replace: null } },
    ],
  },
  {
    name: 'truncated on a partial divider',
    // Four `=` are not yet a divider (5 to 9 are).
    response: lines('a.ts', '<<<<<<< SEARCH', 'x', '===='),
    expected: [
      open(0, 'a.ts'),
      { type: 'searchDelta', index: 0, text: 'x\n====' },
      { type: 'blockAbort', index: 0, path: 'a.ts', reason: 'truncated', partial: { search: 'x\n====', replace: null } },
    ],
  },
  {
    name: 'truncated mid-REPLACE, on a partial close marker',
    response: lines('a.ts', '<<<<<<< SEARCH', 'x', '=======', 'y', '>>>>>>> REPL'),
    expected: [
      open(0, 'a.ts'),
      { type: 'searchDelta', index: 0, text: 'x\n' },
      { type: 'searchEnd', index: 0, search: 'x\n' },
      { type: 'replaceDelta', index: 0, text: 'y\n>>>>>>> REPL' },
      { type: 'blockAbort', index: 0, path: 'a.ts', reason: 'truncated', partial: { search: 'x\n', replace: 'y\n>>>>>>> REPL' } },
    ],
  },
  {
    name: 'truncated right after the open marker, after a complete block',
    response: lines('a.ts', '<<<<<<< SEARCH', 'x', '=======', 'y', '>>>>>>> REPLACE', 'b.ts', '<<<<<<< SEARCH'),
    expected: [...block(0, 'a.ts', 'x\n', 'y\n'), open(1, 'b.ts'), { type: 'blockAbort', index: 1, path: 'b.ts', reason: 'truncated', partial: { search: '', replace: null } }],
  },
  {
    // The rule: outside a block no line but `<<<<<<< SEARCH` is special; in SEARCH, `=======` is
    // always the divider; in REPLACE only `>>>>>>> REPLACE` is special. Markers must start at column 0.
    name: 'marker-like lines in a markdown file: `=======` is content in REPLACE and in prose',
    response: lines(
      'Title underline:', '=======', '>>>>>>> REPLACE', '',
      'README.md', '<<<<<<< SEARCH', 'Old title', '=======', 'New title', '=======', '', '  <<<<<<< SEARCH', ' =======', '>>>>>>> REPLACE', '',
    ),
    expected: [
      text('Title underline:\n=======\n>>>>>>> REPLACE\n\n'),
      ...block(0, 'README.md', 'Old title\n', 'New title\n=======\n\n  <<<<<<< SEARCH\n =======\n'),
    ],
  },
  {
    name: '`=======` in SEARCH is always the divider (so a search cannot contain that line)',
    response: lines('README.md', '<<<<<<< SEARCH', 'Title', '=======', 'Body', '=======', 'New', '>>>>>>> REPLACE', ''),
    expected: block(0, 'README.md', 'Title\n', 'Body\n=======\nNew\n'),
  },
  {
    name: '`>>>>>>> REPLACE` before any divider aborts that block as malformed; parsing continues',
    response: lines('a.ts', '<<<<<<< SEARCH', 'x', '>>>>>>> REPLACE', 'Retry:', '<<<<<<< SEARCH', 'y', '=======', 'z', '>>>>>>> REPLACE', ''),
    expected: [
      open(0, 'a.ts'),
      { type: 'searchDelta', index: 0, text: 'x\n' },
      { type: 'blockAbort', index: 0, path: 'a.ts', reason: 'malformed', partial: { search: 'x\n', replace: null } },
      text('Retry:\n'), // a line ending in ':' is never a path
      ...block(1, 'a.ts', 'y\n', 'z\n'),
    ],
  },
  {
    name: 'a block naming no file uses defaultPath',
    options: { defaultPath: 'open.ts' },
    response: lines('<<<<<<< SEARCH', 'x', '=======', 'y', '>>>>>>> REPLACE', 'Example:', '<<<<<<< SEARCH', 'p', '=======', 'q', '>>>>>>> REPLACE', ''),
    expected: [...block(0, 'open.ts', 'x\n', 'y\n'), text('Example:\n'), ...block(1, 'open.ts', 'p\n', 'q\n')],
  },
  {
    name: 'a block naming no file, with no default, has path null',
    response: lines('<<<<<<< SEARCH', 'x', '=======', 'y', '>>>>>>> REPLACE'),
    expected: block(0, null, 'x\n', 'y\n'),
  },
  {
    name: 'only prose, with one-word lines and blank lines',
    response: lines('Hello', '', 'world', 'File:', '```', 'no blocks here'),
    expected: [text('Hello\n\nworld\nFile:\n```\nno blocks here')],
  },
  {
    name: 'a lone CR is kept',
    response: lines('a.ts', '<<<<<<< SEARCH', 'x\ry', '=======', 'z\r', '>>>>>>> REPLACE', ''),
    expected: block(0, 'a.ts', 'x\ry\n', 'z\n'),
  },
];

// CRLF: the same responses with CRLF line ends give the same events (CRLF is normalised to LF).
for (const c of CASES.slice(0, 6)) {
  CASES.push({ ...c, name: `${c.name} (CRLF)`, response: c.response.replace(/\n/g, '\r\n') });
}

// ---- tests --------------------------------------------------------------------------------------

describe('EditStreamParser', () => {
  for (const c of CASES) {
    describe(c.name, () => {
      const expected = run([c.response], c.options);

      it('gives the expected events in one push', () => assert.deepEqual(expected, c.expected));

      it('gives the same events split at every point', () => {
        for (let i = 0; i <= c.response.length; i++) {
          assert.deepEqual(run([c.response.slice(0, i), c.response.slice(i)], c.options), expected, `split at ${i}`);
        }
      });

      it('gives the same events one character at a time', () => {
        assert.deepEqual(run([...c.response], c.options), expected);
      });

      it('gives the same events for 50 random chunkings (seed 42)', () => {
        const random = rng(42);
        for (let k = 0; k < 50; k++) assert.deepEqual(run(randomChunks(c.response, random), c.options), expected, `chunking ${k}`);
      });
    });
  }

  describe('streams sections live', () => {
    const p = new EditStreamParser();
    const replace = (events: EditEvent[]) => events.filter((e) => e.type === 'replaceDelta').map((e) => (e as { text: string }).text).join('');
    const search = (events: EditEvent[]) => events.filter((e) => e.type === 'searchDelta').map((e) => (e as { text: string }).text).join('');

    it('opens the block as soon as the open marker line ends', () => {
      assert.deepEqual(p.push('a.ts\n<<<<<<< SEARCH\n'), [open(0, 'a.ts')]);
    });
    it('emits a partial SEARCH line unless it may be the divider', () => {
      assert.equal(search(p.push('  foo')), '  foo');
      assert.equal(search(p.push('()\n==')), '()\n');
      assert.equal(search(p.push('=x\n')), '===x\n'); // not the divider after all
      assert.deepEqual(p.push('=======\n'), [{ type: 'searchEnd', index: 0, search: '  foo()\n===x\n' }]);
    });
    it('emits a partial REPLACE line at once, holding back only a possible close marker', () => {
      assert.equal(replace(p.push('  ret')), '  ret');
      assert.equal(replace(p.push('urn 1;\n>>>>')), 'urn 1;\n');
      assert.equal(replace(p.push('>>> RE')), '');
      assert.equal(replace(p.push('D\n')), '>>>>>>> RED\n');
      assert.equal(replace(p.push('=======\n')), '=======\n');
      assert.equal(replace(p.push('>>>>>>> REPLACE')), '');
      assert.deepEqual(p.push('\n'), [{ type: 'blockClose', index: 0, path: 'a.ts', search: '  foo()\n===x\n', replace: '  return 1;\n>>>>>>> RED\n=======\n' }]);
    });
    it('emits a prose line as soon as it has two words, holding back a possible path', () => {
      assert.deepEqual(p.push('src/b.ts'), []);
      assert.deepEqual(p.push(' is next'), [text('src/b.ts is next')]);
      assert.deepEqual(p.end(), []);
    });
    it('refuses push() after end()', () => assert.throws(() => p.push('x')));
  });

  it('keeps its invariants on 300 random marker-heavy responses (seed 7)', () => {
    const random = rng(7);
    const vocabulary = ['<<<<<<< SEARCH', '=======', '>>>>>>> REPLACE', '```', '```ts', 'src/a.ts', 'File: b.ts', '', 'some prose', '  code();', '>>>>>>> REPL', '<<<<<<<', '== x', ' \r'];
    for (let n = 0; n < 300; n++) {
      const parts: string[] = [];
      for (let k = Math.floor(random() * 30); k > 0; k--) parts.push(vocabulary[Math.floor(random() * vocabulary.length)], random() < 0.2 ? '\r\n' : '\n');
      const response = parts.join('');
      const expected = run([response]);
      assert.deepEqual(run(randomChunks(response, random, 5)), expected, JSON.stringify(response));
      assert.deepEqual(run([...response]), expected, JSON.stringify(response));

      // Every blockOpen is followed by exactly one blockClose/blockAbort, and the deltas add up to it.
      let current: { index: number; search: string; replace: string } | null = null;
      for (const e of expected) {
        if (e.type === 'blockOpen') {
          assert.ok(current === null, 'a block opens inside another');
          current = { index: e.index, search: '', replace: '' };
        } else if (e.type === 'searchDelta' || e.type === 'replaceDelta') {
          assert.ok(current !== null && e.index === current.index, 'a delta outside its block');
          current[e.type === 'searchDelta' ? 'search' : 'replace'] += e.text;
        } else if (e.type === 'blockClose' || e.type === 'blockAbort') {
          assert.ok(current !== null && e.index === current.index, 'an unmatched close');
          const done = e.type === 'blockClose' ? e : { search: e.partial.search, replace: e.partial.replace ?? '' };
          assert.deepEqual([done.search, done.replace], [current.search, current.replace]);
          current = null;
        } else if (e.type === 'text') assert.ok(current === null, 'text inside a block');
      }
      assert.ok(current === null, 'a block left open');
      assert.ok(!JSON.stringify(expected).includes('\\r\\n'), 'no CRLF in any event');
    }
  });

  it('is linear: ten times the input costs about ten times the work, not a hundred (ratio in one run)', () => {
    const cost = (n: number) => {
      const body = 'x'.repeat(n);
      const response = `a.ts\n<<<<<<< SEARCH\n${body}\n=======\n${body}\n>>>>>>> REPLACE\n${body}`;
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const p = new EditStreamParser();
        const started = performance.now();
        for (const ch of response) p.push(ch);
        p.end();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    cost(20_000); // warm up the JIT
    const ratio = cost(200_000) / cost(20_000);
    // Linear work gives ~10; quadratic work would give ~100.
    assert.ok(ratio < 40, `10x input took ${ratio.toFixed(1)}x the time`);
  });

  it('stays linear on long lines that look like indented markers, marker runs or wrapped paths', () => {
    const cost = (n: number) => {
      const lines = [' '.repeat(n), '<'.repeat(n), '='.repeat(n), '### `' + 'a'.repeat(n), '**' + 'b/'.repeat(n / 2)];
      const response = `${lines.join('\n')}\na.ts\n<<<<<<< SEARCH\n${lines.join('\n')}\n=======\n${lines.join('\n')}\n>>>>>>> REPLACE\n`;
      let best = Infinity;
      for (let round = 0; round < 3; round++) {
        const p = new EditStreamParser();
        const started = performance.now();
        for (const ch of response) p.push(ch);
        p.end();
        best = Math.min(best, performance.now() - started);
      }
      return best;
    };
    cost(4_000);
    const ratio = cost(40_000) / cost(4_000);
    assert.ok(ratio < 40, `10x input took ${ratio.toFixed(1)}x the time`);
  });
});
