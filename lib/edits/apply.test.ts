import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyBlock, locate, type ApplyResult } from './apply';
import { EditStreamParser, type EditBlock } from './parser';

const CART = [
  'export class Cart {',
  '  items: Item[] = [];',
  '  discount = 0;',
  '',
  '  total(): number {',
  '    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);',
  '  }',
  '}',
  '',
].join('\n');

/** The applied text, or a failure message that shows the reason. */
function applied(result: ApplyResult): string {
  assert.ok(result.ok, `not applied: ${!result.ok && result.reason}`);
  return result.text;
}

describe('locate', () => {
  it('finds an exact match', () => {
    const search = '  discount = 0;\n';
    const start = CART.indexOf(search);
    assert.deepEqual(locate(CART, search), { kind: 'exact', start, end: start + search.length });
  });
  it('prefers a single exact match over fuzzy ones', () => {
    assert.deepEqual(locate('  a\na\n', 'a\n'), { kind: 'exact', start: 4, end: 6 });
  });
  it('matches only from the start of a line', () => {
    assert.deepEqual(locate('max = 1;\nx = 1;\n', 'x = 1;\n'), { kind: 'exact', start: 9, end: 16 });
    assert.deepEqual(locate('max = 1;\n', 'x = 1;\n'), { kind: 'none' });
  });
  it('reports an exact match found twice as ambiguous, never picking one', () => {
    assert.deepEqual(locate('x\ny\nx\n', 'x\n'), {
      kind: 'ambiguous',
      count: 2,
      candidates: [
        { kind: 'exact', start: 0, end: 2 },
        { kind: 'exact', start: 4, end: 6 },
      ],
    });
  });
  it('reports a fuzzy match found twice as ambiguous', () => {
    const loc = locate('  x();\n    x();\n', 'x();\n');
    assert.ok(loc.kind === 'ambiguous');
    assert.deepEqual([loc.count, loc.candidates.map((c) => c.start)], [2, [0, 7]]);
  });
  it('reports none when nothing matches', () => {
    assert.deepEqual(locate(CART, '  subtotal(): number {\n'), { kind: 'none' });
  });
  it('does not match a search of blank lines fuzzily', () => {
    assert.deepEqual(locate('a\n  \nb\n', '\n'), { kind: 'none' });
  });
  it('matches the last line of a file without a final newline', () => {
    assert.deepEqual(locate('a\nb', 'b\n'), { kind: 'exact', start: 2, end: 3 });
  });
  it('tolerates trailing whitespace differences, as a fuzzy match of whole lines', () => {
    const file = 'a  \nb\t\nc\n';
    assert.deepEqual(locate(file, 'a\nb\n'), { kind: 'fuzzy', start: 0, end: 7, indent: { from: '', to: '' } });
  });
  it('tolerates a uniform indentation shift and reports it', () => {
    const search = 'total(): number {\n  return 0;\n}\n';
    const file = 'class A {\n  total(): number {\n    return 0;\n  }\n}\n';
    assert.deepEqual(locate(file, search), { kind: 'fuzzy', start: 10, end: file.length - '}\n'.length, indent: { from: '', to: '  ' } });
  });
  it('does not tolerate a change of relative indentation', () => {
    assert.deepEqual(locate('if (a) {\n  b();\n}\n', 'if (a) {\nb();\n}\n'), { kind: 'none' });
  });
});

describe('applyBlock', () => {
  it('replaces an exact match and reports both ranges', () => {
    const block = { search: '  discount = 0;\n', replace: '  discount = 0.1;\n  coupon?: string;\n' };
    const result = applyBlock(CART, block);
    assert.ok(result.ok);
    assert.equal(result.match, 'exact');
    assert.equal(result.text, CART.replace(block.search, block.replace));
    assert.equal(CART.slice(result.range.start, result.range.end), block.search);
    assert.equal(result.text.slice(result.replacementRange.start, result.replacementRange.end), block.replace);
  });

  it('deletes with an empty replacement', () => {
    assert.equal(applied(applyBlock('a\nb\nc\n', { search: 'b\n', replace: '' })), 'a\nc\n');
  });

  it('applies despite trailing whitespace in the file, keeping the replacement as written', () => {
    const result = applyBlock('a();  \nb();\n', { search: 'a();\n', replace: 'A();\n' });
    assert.ok(result.ok);
    assert.equal(result.match, 'fuzzy');
    assert.equal(result.text, 'A();\nb();\n');
  });

  it('re-indents the replacement when the search was indented less than the file', () => {
    const block = {
      search: 'total(): number {\n  return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);\n}\n',
      replace: 'total(): number {\n  const sum = this.items.reduce((s, i) => s + i.price * i.quantity, 0);\n\n  return sum * (1 - this.discount);\n}\n',
    };
    const result = applyBlock(CART, block);
    assert.ok(result.ok);
    assert.equal(result.match, 'fuzzy');
    assert.equal(
      result.text,
      CART.replace(
        '  total(): number {\n    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);\n  }\n',
        '  total(): number {\n    const sum = this.items.reduce((s, i) => s + i.price * i.quantity, 0);\n\n    return sum * (1 - this.discount);\n  }\n',
      ),
    );
    assert.equal(result.text.slice(result.replacementRange.start, result.replacementRange.end).split('\n')[0], '  total(): number {');
  });

  it('re-indents the replacement when the search was indented more than the file', () => {
    const result = applyBlock('if (a) {\n  b();\n}\n', { search: '    if (a) {\n      b();\n    }\n', replace: '    if (a) {\n      c();\n    }\n' });
    assert.equal(applied(result), 'if (a) {\n  c();\n}\n');
  });

  it('re-indents tabs to spaces by the same delta', () => {
    const result = applyBlock('\tx();\n\ty();\n', { search: '    x();\n    y();\n', replace: '    x();\n    z();\n' });
    assert.equal(applied(result), '\tx();\n\tz();\n');
  });

  it('refuses a search that is not in the file', () => {
    const r = applyBlock(CART, { search: 'nope\n', replace: 'x\n' });
    assert.ok(!r.ok && r.reason === 'none');
  });

  it('refuses an ambiguous search', () => {
    const r = applyBlock('}\n}\n', { search: '}\n', replace: '};\n' });
    assert.ok(!r.ok && r.reason === 'ambiguous');
    assert.deepEqual([r.count, r.candidates], [2, [{ start: 0, end: 2, line: 1 }, { start: 2, end: 4, line: 2 }]]);
  });

  it('applies an ambiguous search at the candidate the user picked, while the candidates are the same', () => {
    assert.equal(applied(applyBlock('}\n}\n', { search: '}\n', replace: '};\n' }, { pick: { index: 1, of: 2 } })), '}\n};\n');
    const r = applyBlock('}\n}\n}\n', { search: '}\n', replace: '};\n' }, { pick: { index: 1, of: 2 } });
    assert.ok(!r.ok && r.reason === 'ambiguous' && r.count === 3);
  });

  it('refuses a non-empty search on a missing file', () => {
    const r = applyBlock(null, { search: 'a\n', replace: 'b\n' });
    assert.ok(!r.ok && r.reason === 'none');
  });

  it('creates a missing file from an empty search', () => {
    assert.deepEqual(applyBlock(null, { search: '', replace: 'export {};\n' }), {
      ok: true,
      match: 'create',
      text: 'export {};\n',
      range: { start: 0, end: 0 },
      replacementRange: { start: 0, end: 11 },
    });
  });

  it('fills an empty or whitespace-only file from an empty search', () => {
    assert.equal(applied(applyBlock('', { search: '', replace: 'x\n' })), 'x\n');
    const result = applyBlock('\n\n', { search: '', replace: 'x\n' });
    assert.ok(result.ok);
    assert.deepEqual([result.text, result.range], ['x\n', { start: 0, end: 2 }]);
  });

  it('appends from an empty search on a file with content, and says so', () => {
    assert.deepEqual(applyBlock('a\n', { search: '', replace: 'b\n' }), { ok: true, match: 'append', text: 'a\nb\n', range: { start: 2, end: 2 }, replacementRange: { start: 2, end: 4 } });
    assert.equal(applied(applyBlock('a', { search: '', replace: 'b\n' })), 'a\nb\n');
    assert.equal(applied(applyBlock('a\r\n', { search: '', replace: 'b\n' })), 'a\r\nb\r\n');
  });

  it('keeps a file without a final newline that way', () => {
    assert.equal(applied(applyBlock('a\nb', { search: 'b\n', replace: 'c\nd\n' })), 'a\nc\nd');
  });

  it('keeps a CRLF file CRLF', () => {
    assert.equal(applied(applyBlock('a\r\nb\r\nc\r\n', { search: 'b\n', replace: 'B\nB2\n' })), 'a\r\nB\r\nB2\r\nc\r\n');
    assert.equal(applied(applyBlock('a\r\nb\r\nc', { search: 'b\nc\n', replace: 'b\nC\n' })), 'a\r\nb\r\nC');
  });
});

describe('parser → applyBlock', () => {
  it('applies every block of a streamed response to its file, in order', () => {
    const files = new Map<string, string | null>([['src/cart.ts', CART], ['src/item.ts', null]]);
    const response = [
      'Add a discount and an Item type.',
      '',
      'src/cart.ts',
      '```ts',
      '<<<<<<< SEARCH',
      '  total(): number {',
      '    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);',
      '=======',
      '  total(): number {',
      '    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0) * (1 - this.discount);',
      '>>>>>>> REPLACE',
      '<<<<<<< SEARCH',
      'export class Cart {',
      '=======',
      "import type { Item } from './item';",
      '',
      'export class Cart {',
      '>>>>>>> REPLACE',
      '```',
      '',
      'src/item.ts',
      '<<<<<<< SEARCH',
      '=======',
      'export interface Item { price: number; quantity: number }',
      '>>>>>>> REPLACE',
    ].join('\n');

    const parser = new EditStreamParser();
    const blocks: EditBlock[] = [];
    for (let i = 0; i < response.length; i += 7) {
      for (const e of parser.push(response.slice(i, i + 7))) if (e.type === 'blockClose') blocks.push(e);
    }
    for (const e of parser.end()) if (e.type === 'blockClose') blocks.push(e);
    assert.deepEqual(blocks.map((b) => b.path), ['src/cart.ts', 'src/cart.ts', 'src/item.ts']);

    for (const b of blocks) files.set(b.path!, applied(applyBlock(files.get(b.path!) ?? null, b)));
    assert.match(files.get('src/cart.ts')!, /^import type \{ Item \} from '\.\/item';\n\nexport class Cart \{\n/);
    assert.match(files.get('src/cart.ts')!, /\* \(1 - this\.discount\);\n  \}\n\}\n$/);
    assert.equal(files.get('src/item.ts'), 'export interface Item { price: number; quantity: number }\n');
  });
});
