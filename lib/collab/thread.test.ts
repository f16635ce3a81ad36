import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { readFile, seedFiles, filesOf } from './workspace-doc';
import {
  acceptHunks,
  addHunk,
  createTurn,
  finishTurn,
  readRecentTurns,
  readRestores,
  readThread,
  recordCheckpoint,
  rejectHunks,
  restoreCheckpoint,
  undoRestore,
  viewHunk,
  yTextTarget,
} from './thread';

const CART = 'export class Cart {\n  items = [];\n  discount = 0;\n\n  total() {\n    return 0;\n  }\n}\n';

function setup() {
  const doc = new Y.Doc();
  seedFiles(doc, { 'src/cart.ts': CART });
  createTurn(doc, { id: 't1', prompt: 'discount', mode: 'instant', path: 'src/cart.ts', autoApply: false });
  recordCheckpoint(doc, 't1', 'src/cart.ts');
  const a = addHunk(doc, 't1', { index: 0, path: 'src/cart.ts', search: '  discount = 0;\n', replace: '  discount = 0.1;\n', matchedAtProposal: true })!;
  const b = addHunk(doc, 't1', { index: 1, path: 'src/cart.ts', search: '    return 0;\n', replace: '    return 42;\n', matchedAtProposal: true })!;
  return { doc, a, b, target: yTextTarget(doc) };
}

function edit(doc: Y.Doc, path: string, from: string, to: string) {
  const text = filesOf(doc).get(path)!;
  const at = text.toString().indexOf(from);
  assert.ok(at >= 0, `${from} is in ${path}`);
  text.delete(at, from.length);
  text.insert(at, to);
}

test('accepting applies the hunk at its place and marks it accepted; accepting again is refused', () => {
  const { doc, a, target } = setup();
  assert.deepEqual(acceptHunks(doc, [a], target), []);
  assert.equal(readFile(doc, 'src/cart.ts'), CART.replace('discount = 0;', 'discount = 0.1;'));
  assert.equal(readThread(doc)[0].hunks[0].status, 'accepted');
  const again = acceptHunks(doc, [a], target);
  assert.deepEqual(again.map((e) => e.code), ['notPending']);
  assert.equal(readFile(doc, 'src/cart.ts'), CART.replace('discount = 0;', 'discount = 0.1;'));
});

test('a hunk is rebased over text typed elsewhere in the file', () => {
  const { doc, b, target } = setup();
  edit(doc, 'src/cart.ts', 'export class Cart {\n', '// typed by a person\nexport class Cart {\n');
  const view = viewHunk(readThread(doc)[0].hunks[1], readFile(doc, 'src/cart.ts')!);
  assert.equal(view.view, 'pending');
  assert.deepEqual(acceptHunks(doc, [b], target), []);
  assert.equal(readFile(doc, 'src/cart.ts'), '// typed by a person\n' + CART.replace('return 0;', 'return 42;'));
});

test('text typed inside a hunk makes it a conflict: nothing is overwritten, and it stays pending', () => {
  const { doc, a, target } = setup();
  edit(doc, 'src/cart.ts', 'discount = 0;', 'discount = 0.25;');
  const view = viewHunk(readThread(doc)[0].hunks[0], readFile(doc, 'src/cart.ts')!);
  assert.equal(view.view, 'conflict');
  const errors = acceptHunks(doc, [a], target);
  assert.deepEqual(errors.map((e) => e.code), ['conflict']);
  assert.match(errors[0].message, /changed in src\/cart\.ts after it was proposed/);
  assert.ok(readFile(doc, 'src/cart.ts')!.includes('discount = 0.25;'));
  assert.equal(readThread(doc)[0].hunks[0].status, 'pending');
  // Typing it back makes the hunk placeable again.
  edit(doc, 'src/cart.ts', 'discount = 0.25;', 'discount = 0;');
  assert.equal(viewHunk(readThread(doc)[0].hunks[0], readFile(doc, 'src/cart.ts')!).view, 'pending');
});

test('an ambiguous hunk is a conflict and is never applied', () => {
  const { doc, target } = setup();
  edit(doc, 'src/cart.ts', '}\n', '}\n\nexport class Basket {\n  discount = 0;\n}\n');
  const before = readFile(doc, 'src/cart.ts');
  const id = addHunk(doc, 't1', { index: 2, path: 'src/cart.ts', search: '  discount = 0;\n', replace: '  discount = 1;\n', matchedAtProposal: false })!;
  const errors = acceptHunks(doc, [id], target);
  assert.deepEqual(errors.map((e) => e.code), ['conflict']);
  assert.match(errors[0].message, /more than once/);
  assert.equal(readFile(doc, 'src/cart.ts'), before);
});

test('rejecting leaves the file alone; a rejected hunk cannot then be accepted', () => {
  const { doc, a, target } = setup();
  rejectHunks(doc, [a]);
  assert.equal(readThread(doc)[0].hunks[0].status, 'rejected');
  assert.deepEqual(acceptHunks(doc, [a], target).map((e) => e.code), ['notPending']);
  assert.equal(readFile(doc, 'src/cart.ts'), CART);
});

test('a new-file hunk creates the file', () => {
  const { doc, target } = setup();
  const id = addHunk(doc, 't1', { index: 2, path: 'src/discount.ts', search: '', replace: 'export const D = 0.1;\n', matchedAtProposal: true })!;
  assert.deepEqual(acceptHunks(doc, [id], target), []);
  assert.equal(readFile(doc, 'src/discount.ts'), 'export const D = 0.1;\n');
});

test('restore returns every file to before the turn, later turns included, and can be undone', () => {
  const { doc, a, target } = setup();
  acceptHunks(doc, [a], target);
  finishTurn(doc, 't1', { status: 'done', response: '…', error: null, dropped: null });
  createTurn(doc, { id: 't2', prompt: 'more', mode: 'instant', path: 'src/cart.ts', autoApply: true });
  recordCheckpoint(doc, 't2', 'src/cart.ts');
  recordCheckpoint(doc, 't2', 'src/new.ts');
  const c = addHunk(doc, 't2', { index: 0, path: 'src/new.ts', search: '', replace: 'new\n', matchedAtProposal: true })!;
  const d = addHunk(doc, 't2', { index: 1, path: 'src/cart.ts', search: '    return 0;\n', replace: '    return 1;\n', matchedAtProposal: true })!;
  acceptHunks(doc, [c], target);
  const after = readFile(doc, 'src/cart.ts');

  assert.ok(restoreCheckpoint(doc, 't1', target, 'r1'));
  assert.equal(readFile(doc, 'src/cart.ts'), CART);
  assert.equal(readFile(doc, 'src/new.ts'), undefined);
  const thread = readThread(doc);
  assert.deepEqual(thread.map((t) => t.revertedBy), ['r1', 'r1']);
  assert.equal(thread[1].hunks[1].status, 'rejected', 'pending hunks of reverted turns are rejected');
  assert.equal(readRestores(doc)[0].undone, false);

  assert.ok(undoRestore(doc, 'r1', target));
  assert.equal(readFile(doc, 'src/cart.ts'), after);
  assert.equal(readFile(doc, 'src/new.ts'), 'new\n');
  const back = readThread(doc);
  assert.deepEqual(back.map((t) => t.revertedBy), [null, null]);
  assert.equal(back[1].hunks.find((h) => h.id === d)!.status, 'pending');
  assert.equal(readRestores(doc)[0].undone, true);
  assert.equal(undoRestore(doc, 'r1', target), false, 'a restore is undone once');
});

test('restoring to a later turn keeps what earlier turns did', () => {
  const { doc, a, target } = setup();
  acceptHunks(doc, [a], target);
  const afterT1 = readFile(doc, 'src/cart.ts');
  createTurn(doc, { id: 't2', prompt: 'more', mode: 'instant', path: 'src/cart.ts', autoApply: false });
  recordCheckpoint(doc, 't2', 'src/cart.ts');
  const d = addHunk(doc, 't2', { index: 0, path: 'src/cart.ts', search: '    return 0;\n', replace: '    return 1;\n', matchedAtProposal: true })!;
  acceptHunks(doc, [d], target);
  restoreCheckpoint(doc, 't2', target, 'r2');
  assert.equal(readFile(doc, 'src/cart.ts'), afterT1);
  assert.deepEqual(readThread(doc).map((t) => t.revertedBy), [null, 'r2']);
});

test('a checkpoint is recorded once per file per turn: the text before the turn first touched it', () => {
  const { doc } = setup();
  edit(doc, 'src/cart.ts', 'items = [];', 'items = [1];');
  recordCheckpoint(doc, 't1', 'src/cart.ts');
  assert.equal(readThread(doc)[0].checkpoint['src/cart.ts'], CART);
});

test('the document remembers changes made through every replica', () => {
  const { doc, a, target } = setup();
  const peer = new Y.Doc();
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
  acceptHunks(doc, [a], target);
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(peer)));
  assert.equal(readThread(peer)[0].hunks[0].status, 'accepted');
  assert.equal(readFile(peer, 'src/cart.ts'), readFile(doc, 'src/cart.ts'));
});

test('a turn stored before protocol 3 (flag named `instant`) reads as autoApply', () => {
  const doc = new Y.Doc();
  createTurn(doc, { id: 'old', prompt: 'p', mode: 'instant', path: 'src/cart.ts', autoApply: false });
  const turn = doc.getArray<Y.Map<unknown>>('turns').get(0);
  turn.delete('autoApply');
  turn.set('instant', true);
  assert.equal(readThread(doc)[0].autoApply, true);
});

test('readRecentTurns: the last n turns that qualify, oldest first, the same records readThread gives', () => {
  const { doc, target } = setup();
  finishTurn(doc, 't1', { status: 'done', response: 'one', error: null, dropped: null });
  for (let i = 2; i <= 14; i++) {
    createTurn(doc, { id: `t${i}`, prompt: `p${i}`, mode: 'instant', path: 'src/cart.ts', autoApply: false });
    finishTurn(doc, `t${i}`, { status: 'done', response: `r${i}`, error: null, dropped: null });
  }
  // t12 onwards reverted: they do not count, and older turns fill their places.
  assert.ok(restoreCheckpoint(doc, 't12', target, 'r1'));
  const keep = (t: { id: string; revertedBy: string | null }) => t.id !== 't5' && t.revertedBy === null;
  const expected = readThread(doc).filter(keep).slice(-4);
  assert.deepEqual(expected.map((t) => t.id), ['t8', 't9', 't10', 't11']);
  assert.deepEqual(readRecentTurns(doc, 4, keep), expected);
  assert.deepEqual(readRecentTurns(doc, 100, keep).map((t) => t.id), readThread(doc).filter(keep).map((t) => t.id));
  assert.deepEqual(readRecentTurns(doc, 0, keep), []);
});
