import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { DocWriter } from './doc-writer';

function updates(n: number): Uint8Array[] {
  const doc = new Y.Doc();
  const out: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => out.push(u));
  for (let i = 0; i < n; i++) doc.getText('t').insert(i, String(i % 10));
  return out;
}

function textOf(stored: Uint8Array[]): string {
  const doc = new Y.Doc();
  for (const u of stored) Y.applyUpdate(doc, u);
  return doc.getText('t').toString();
}

describe('DocWriter', () => {
  it('merges updates that arrive during a write into the next one, in order', async () => {
    const stored: Uint8Array[] = [];
    let release: (() => void) | undefined;
    const writer = new DocWriter({
      append: async (u) => {
        if (stored.length === 0) await new Promise<void>((r) => (release = r));
        stored.push(u);
      },
      compact: async () => {},
      compactAfter: { updates: 1e9, bytes: 1e9 },
      log: () => {},
    });
    const [first, ...rest] = updates(6);
    writer.push(first);
    const firstSaved = writer.saved();
    // The first write has started (it waits in append) before the rest arrive.
    while (!release) await new Promise((r) => setImmediate(r));
    for (const u of rest) writer.push(u);
    const allSaved = writer.saved();
    assert.notEqual(allSaved, firstSaved, 'later updates wait for a later write');
    release!();
    await allSaved;
    assert.equal(stored.length, 2, 'one write for the first update, one for the five after it');
    assert.equal(textOf(stored), '012345');
  });

  it('starts a write on a macrotask, after socket work queued in the same turn (an AI delta goes out first)', async () => {
    const order: string[] = [];
    const writer = new DocWriter({
      append: async () => {
        order.push('append');
      },
      compact: async () => {},
      compactAfter: { updates: 1e9, bytes: 1e9 },
      log: () => {},
    });
    writer.push(updates(1)[0]);
    setImmediate(() => order.push('emit'));
    await writer.saved();
    assert.deepEqual(order, ['emit', 'append']);
  });

  it('a failed write rejects its waiters and is retried first, before anything pushed later', async () => {
    const stored: Uint8Array[] = [];
    let failures = 1;
    const writer = new DocWriter({
      append: async (u) => {
        if (failures-- > 0) throw new Error('disk on fire');
        stored.push(u);
      },
      compact: async () => {},
      compactAfter: { updates: 1e9, bytes: 1e9 },
      log: () => {},
      retryMs: 10_000,
    });
    const [a, b] = updates(2);
    writer.push(a);
    await assert.rejects(writer.saved(), /disk on fire/);
    writer.push(b);
    await writer.saved();
    assert.equal(stored.length, 1, 'the failed update went out merged with the next one');
    assert.equal(textOf(stored), '01');
  });

  it('compacts in the background once enough updates were appended', async () => {
    let compactions = 0;
    const writer = new DocWriter({
      append: async () => {},
      compact: async () => void compactions++,
      compactAfter: { updates: 3, bytes: 1e9 },
      log: () => {},
    });
    for (const u of updates(7)) {
      writer.push(u);
      await writer.saved();
    }
    assert.equal(compactions, 2);
  });
});
