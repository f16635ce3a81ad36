import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { checkUpdate } from './check-update';
import { int, pick, prng } from '../reliability/random';
import { runSeed } from '../reliability/profile';

/** Random edits by three peers that sync now and then: every update they produce is genuine. */
function genuineUpdates(seed: number, steps: number): Uint8Array[] {
  const random = prng(seed);
  const docs = [0, 1, 2].map(() => new Y.Doc({ gc: random() < 0.5 }));
  const out: Uint8Array[] = [];
  docs.forEach((d) => d.on('update', (u: Uint8Array) => out.push(u)));
  for (let i = 0; i < steps; i++) {
    const d = pick(random, docs);
    const text = d.getMap<Y.Text>('files').get('a.ts') ?? d.getMap<Y.Text>('files').set('a.ts', new Y.Text('start\n'));
    const turns = d.getArray<Y.Map<unknown>>('turns');
    const r = random();
    if (r < 0.35) text.insert(int(random, 0, text.length), 'x'.repeat(int(random, 1, 5)));
    else if (r < 0.55 && text.length > 1) text.delete(int(random, 0, text.length - 1), 1);
    else if (r < 0.65) {
      const m = new Y.Map<unknown>();
      m.set('id', `t${i}`);
      m.set('hunks', new Y.Array());
      turns.push([m]);
    } else if (r < 0.72 && turns.length) turns.delete(int(random, 0, turns.length - 1), 1);
    else if (r < 0.8) d.getMap('files').set(`f${int(random, 0, 5)}.ts`, new Y.Text('y'));
    else if (r < 0.85) d.getMap('files').delete(`f${int(random, 0, 5)}.ts`);
    else {
      const [a, b] = [pick(random, docs), pick(random, docs)];
      Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    }
  }
  for (const d of docs) out.push(Y.encodeStateAsUpdate(d), Y.encodeStateAsUpdate(d, Y.encodeStateVector(docs[0])));
  out.push(Y.mergeUpdates(out.slice(0, 20)));
  return out;
}

describe('checkUpdate', () => {
  it('accepts every update honest Yjs peers produce (random edits, syncs, merges, GC on and off)', () => {
    const seed = runSeed();
    for (let s = 0; s < 20; s++) {
      for (const u of genuineUpdates(seed + s, 150)) {
        assert.equal(checkUpdate(u), null, `seed ${seed + s} (FLINT_SEED=${seed}): a genuine update was refused`);
      }
    }
  });

  it('refuses what does not decode, out-of-range ids and forward references in one client', () => {
    assert.equal(checkUpdate(new Uint8Array([255, 255, 255, 255, 255, 1])), 'does not decode');
    const doc = new Y.Doc();
    let update: Uint8Array | null = null;
    doc.on('update', (u: Uint8Array) => (update = u));
    doc.getText('t').insert(0, 'abc');
    assert.equal(checkUpdate(update!), null);
    assert.equal(checkUpdate(update!.slice(0, -1)), 'does not decode');
    const forward = Buffer.from('01039cf3bda30d0027010566696c657304782e74730204009cf3bda30d0000616263c4ab96f1823f03ab96f1820604027a7a00', 'hex');
    assert.notEqual(checkUpdate(forward), null);
  });
});

describe('checkUpdate against what the document holds', () => {
  const sv = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc));

  it('passes the next change of a client, and refuses one that skips changes the document lacks', () => {
    const server = new Y.Doc();
    const client = new Y.Doc();
    const updates: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => updates.push(u));
    const text = client.getMap<Y.Text>('files').set('a.ts', new Y.Text('one'));
    text.insert(3, ' two');
    text.insert(7, ' three');
    assert.equal(checkUpdate(updates[0], sv(server)), null);
    Y.applyUpdate(server, updates[0]);
    // updates[2] needs updates[1], which the server never got.
    assert.match(checkUpdate(updates[2], sv(server)) ?? '', /does not have/);
    assert.equal(checkUpdate(updates[1], sv(server)), null);
    Y.applyUpdate(server, updates[1]);
    assert.equal(checkUpdate(updates[2], sv(server)), null);
  });

  it('refuses a delete of changes the document lacks, and passes a resync diff', () => {
    const server = new Y.Doc();
    const client = new Y.Doc();
    client.getMap<Y.Text>('files').set('a.ts', new Y.Text('hello'));
    const known = Y.encodeStateVector(server);
    const created = Y.encodeStateAsUpdate(client, known);
    const before = Y.encodeStateVector(client);
    client.getMap<Y.Text>('files').get('a.ts')!.delete(0, 2);
    const deletion = Y.encodeStateAsUpdate(client, before);
    assert.match(checkUpdate(deletion, sv(server)) ?? '', /does not have/);
    // What a reconnecting browser sends: everything the server lacks, in one update.
    assert.equal(checkUpdate(Y.encodeStateAsUpdate(client, known), sv(server)), null);
    Y.applyUpdate(server, created);
    assert.equal(checkUpdate(deletion, sv(server)), null);
  });
});
