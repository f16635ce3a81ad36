import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { checkUpdate } from './check-update';
import { int, pick, prng } from '../../test/reliability/random';
import { runSeed } from '../../test/reliability/profile';

/** Random edits by three peers that sync now and then: every update they produce is genuine. */
function genuineUpdates(seed: number, steps: number): Uint8Array[] {
  const random = prng(seed);
  const docs = [0, 1, 2].map(() => {
    const doc = new Y.Doc({ gc: random() < 0.5 });
    doc.clientID = int(random, 1, 2 ** 31); // from the seed, so a run replays exactly
    return doc;
  });
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
  it('passes the next change of a client, and refuses one that skips changes the document lacks', () => {
    const server = new Y.Doc();
    const client = new Y.Doc();
    const updates: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => updates.push(u));
    const text = client.getMap<Y.Text>('files').set('a.ts', new Y.Text('one'));
    text.insert(3, ' two');
    text.insert(7, ' three');
    assert.equal(checkUpdate(updates[0], server), null);
    Y.applyUpdate(server, updates[0]);
    // updates[2] needs updates[1], which the server never got.
    assert.match(checkUpdate(updates[2], server) ?? '', /does not have/);
    assert.equal(checkUpdate(updates[1], server), null);
    Y.applyUpdate(server, updates[1]);
    assert.equal(checkUpdate(updates[2], server), null);
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
    assert.match(checkUpdate(deletion, server) ?? '', /does not have/);
    // What a reconnecting browser sends: everything the server lacks, in one update.
    assert.equal(checkUpdate(Y.encodeStateAsUpdate(client, known), server), null);
    Y.applyUpdate(server, created);
    assert.equal(checkUpdate(deletion, server), null);
  });
});

/** Re-encodes decoded items (possibly altered) as one update without deletes. */
function encodeItems(items: Y.Item[]): Uint8Array {
  const enc = new Y.UpdateEncoderV1();
  const byClient = new Map<number, Y.Item[]>();
  for (const s of items) byClient.set(s.id.client, [...(byClient.get(s.id.client) ?? []), s]);
  encoding.writeVarUint(enc.restEncoder, byClient.size);
  for (const [client, list] of byClient) {
    list.sort((a, b) => a.id.clock - b.id.clock);
    encoding.writeVarUint(enc.restEncoder, list.length);
    enc.writeClient(client);
    encoding.writeVarUint(enc.restEncoder, list[0].id.clock);
    for (const s of list) s.write(enc, 0);
  }
  encoding.writeVarUint(enc.restEncoder, 0);
  return enc.toUint8Array();
}

/** What a document reads as: every file's text and the thread, as JSON with sorted keys. */
const contentOf = (doc: Y.Doc) => {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sorted({ files: doc.getMap('files').toJSON(), turns: doc.getArray('turns').toJSON() }));
};

describe('checkUpdate: where new items are placed', () => {
  /** A server holding a.ts and b.ts, and a client that has what the server has. */
  function setup() {
    const server = new Y.Doc();
    const files = server.getMap<Y.Text>('files');
    files.set('a.ts', new Y.Text('aaaa'));
    files.get('a.ts')!.insert(2, 'AA'); // a.ts is now three items
    files.set('b.ts', new Y.Text('bbbb'));
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
    const updates: Uint8Array[] = [];
    client.on('update', (u: Uint8Array) => updates.push(u));
    const itemsOf = (name: string) => {
      const out: Y.Item[] = [];
      for (let x = server.getMap<Y.Text>('files').get(name)!._start; x; x = x.right) out.push(x);
      return out;
    };
    return { server, client, updates, itemsOf, text: (name: string) => client.getMap<Y.Text>('files').get(name)! };
  }
  const itemsIn = (u: Uint8Array) => Y.decodeUpdate(u).structs.filter((s): s is Y.Item => s instanceof Y.Item);

  it('passes an honest insert, and refuses it with its right origin moved to another file or before its origin', () => {
    const { server, updates, itemsOf, text } = setup();
    text('a.ts').insert(3, 'x'); // between the two halves of "AA"
    assert.equal(checkUpdate(updates[0], server), null);
    const [item] = itemsIn(updates[0]);
    item.rightOrigin = itemsOf('b.ts')[0].id;
    assert.equal(checkUpdate(encodeItems([item]), server), "an item's origin and right origin are in different lists");
    const [again] = itemsIn(updates[0]);
    again.rightOrigin = itemsOf('a.ts')[0].id; // "aa", before the origin
    assert.equal(checkUpdate(encodeItems([again]), server), "an item's right origin lies before its origin");
  });

  it('refuses a map entry with a right origin', () => {
    const { server, updates, itemsOf, client } = setup();
    client.getMap<Y.Text>('files').set('a.ts', new Y.Text('replaced'));
    assert.equal(checkUpdate(updates[0], server), null);
    const items = itemsIn(updates[0]);
    const entry = items.find((s) => s.origin !== null && s.parent === null)!; // its origin: the old a.ts
    entry.rightOrigin = itemsOf('b.ts')[0].id;
    assert.match(checkUpdate(encodeItems(items), server) ?? 'passed', /map entry has a right origin|different lists/);
  });

  it('refuses a text run placed as a map value (deleting part of it later would leave earlier values alive)', () => {
    const { server, updates, itemsOf, text } = setup();
    text('a.ts').insert(0, 'xyz'); // one item of length 3
    const [run] = itemsIn(updates[0]);
    assert.equal(run.length, 3);
    const entry = (itemsOf('b.ts')[0].parent as Y.Text)._item!; // b.ts's map entry: the key's current value
    run.origin = entry.id;
    run.rightOrigin = null;
    assert.equal(checkUpdate(encodeItems([run]), server), 'a map value would be longer than one item');
  });

  it('judges items that refer to items of the same update on a copy, and leaves the document untouched', () => {
    const { server, updates, itemsOf, text } = setup();
    text('a.ts').insert(1, 'x');
    text('a.ts').insert(1, 'y'); // its right origin is "x", of the same client
    const merged = Y.mergeUpdates(updates);
    assert.equal(checkUpdate(merged, server), null);
    const items = itemsIn(merged);
    const y = items.find((s) => s.rightOrigin && s.rightOrigin.client === s.id.client)!;
    y.origin = itemsOf('b.ts')[0].id;
    const before = Y.encodeStateAsUpdate(server);
    assert.equal(checkUpdate(encodeItems(items), server), "an item's origin and right origin are in different lists");
    assert.deepEqual(Y.encodeStateAsUpdate(server), before, 'the check applies nothing to the document');
  });

  it('passes every honest update against the document that holds what came before it', () => {
    const seed = runSeed();
    for (let round = 0; round < 20; round++) {
      const server = new Y.Doc();
      for (const u of genuineUpdates(seed + round, 150)) {
        assert.equal(checkUpdate(u, server), null, `seed ${seed + round} (FLINT_SEED=${seed}): a genuine update was refused`);
        Y.applyUpdate(server, u);
      }
    }
  });

  // Found by this test and fixed: a hostile text run under a map key (a map value must be one
  // item of length 1). An earlier version of this test also fed the hostile peer the broadcasts
  // and failed when that peer's own altered copy choked on them; only honest peers count.
  it('an editor sending altered updates cannot break the session for the others: honest updates all pass and apply whole, and everyone reads what a fresh join reads', () => {
    // As Flint runs: every peer talks only to the server and gets what the server applied. One
    // peer is hostile: it edits like the others, but its updates have their origins and right
    // origins moved to random items; its own copy then differs from the server's (its problem).
    const seed = runSeed();
    const random = prng(seed);
    let refusedHostile = 0;
    let acceptedHostile = 0;
    for (let round = 0; round < 30; round++) {
      const where = `round ${round} (FLINT_SEED=${seed})`;
      const server = new Y.Doc();
      server.clientID = 1;
      server.getMap<Y.Text>('files').set('a.ts', new Y.Text('start\n'));
      const peers = [0, 1, 2, 3].map((i) => {
        const doc = new Y.Doc(); // gc on, as in the browser
        doc.clientID = 100 + i;
        Y.applyUpdate(doc, Y.encodeStateAsUpdate(server));
        return doc;
      });
      const hostile = peers[3];
      const known: Y.ID[] = [];
      const broadcast = (update: Uint8Array, from: Y.Doc) => {
        for (const p of peers) {
          if (p === from) continue;
          try {
            Y.applyUpdate(p, update, 'server');
          } catch (err) {
            // The hostile peer's copy differs from the server's (its own items were altered on
            // the way): it may choke on what it gets back. That is its own problem.
            if (p !== hostile) assert.fail(`${where}: an honest peer could not apply a change from the server: ${err}`);
          }
        }
      };
      for (const p of peers) {
        p.on('update', (u: Uint8Array, origin: unknown) => {
          if (origin === 'server') return;
          let sent = u;
          const items = itemsIn(u);
          if (p === hostile && items.length && known.length) {
            const s = pick(random, items);
            if (random() < 0.5) s.origin = pick(random, known);
            else s.rightOrigin = pick(random, known);
            if (s.origin && s.origin.client === s.id.client && s.origin.clock >= s.id.clock) s.origin = null;
            if (s.rightOrigin && s.rightOrigin.client === s.id.client && s.rightOrigin.clock >= s.id.clock) s.rightOrigin = null;
            if (s.origin !== null || s.rightOrigin !== null || s.parent !== null) sent = encodeItems(items);
          }
          const refused = checkUpdate(sent, server);
          if (p !== hostile) assert.equal(refused, null, `${where}: an honest update was refused`);
          if (refused) return void refusedHostile++;
          if (p === hostile && sent !== u) acceptedHostile++;
          assert.doesNotThrow(() => Y.applyUpdate(server, sent), `${where}: an update it passed failed to apply`);
          for (const s of itemsIn(sent)) known.push(s.id);
          broadcast(sent, p);
        });
      }
      for (let step = 0; step < 120; step++) {
        const d = pick(random, peers);
        try {
          edit(d, step);
        } catch (err) {
          // A local change on the hostile peer's (possibly broken) copy may throw; a failed check does not count as that.
          if (d !== hostile || err instanceof assert.AssertionError) throw err;
        }
      }
      function edit(d: Y.Doc, step: number) {
        const files = d.getMap<Y.Text>('files');
        const names = [...files.keys()];
        const text = files.get(pick(random, names.length ? names : ['a.ts']));
        const turns = d.getArray<Y.Map<unknown>>('turns');
        const r = random();
        if (text instanceof Y.Text && r < 0.4) text.insert(int(random, 0, text.length), 'x'.repeat(int(random, 1, 5)));
        else if (text instanceof Y.Text && r < 0.6 && text.length > 1) text.delete(int(random, 0, text.length - 1), int(random, 1, 3));
        else if (r < 0.7) {
          const m = new Y.Map<unknown>();
          m.set('id', `t${step}`);
          m.set('hunks', new Y.Array());
          turns.push([m]);
        } else if (r < 0.75 && turns.length) turns.delete(int(random, 0, turns.length - 1), 1);
        else if (r < 0.8 && turns.length) (turns.get(int(random, 0, turns.length - 1)) as Y.Map<unknown>).set?.('status', pick(random, ['accepted', 'rejected']));
        else if (r < 0.9) files.set(`f${int(random, 0, 5)}.ts`, new Y.Text('y'));
        else files.delete(`f${int(random, 0, 5)}.ts`);
      }
      const fresh = new Y.Doc();
      Y.applyUpdate(fresh, Y.encodeStateAsUpdate(server));
      assert.equal(contentOf(fresh), contentOf(server), `${where}: a fresh join reads differently from the server`);
      for (const p of peers.slice(0, 3)) assert.equal(contentOf(p), contentOf(server), `${where}: an honest peer reads differently from the server`);
    }
    assert.ok(refusedHostile > 0 && acceptedHostile > 0, `both kinds of altered update were exercised (${refusedHostile} refused, ${acceptedHostile} accepted)`);
  });
});
