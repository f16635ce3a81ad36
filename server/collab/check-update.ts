import * as Y from 'yjs';

/** Yjs client ids are unsigned 32-bit integers. */
const MAX_CLIENT = 0xffff_ffff;
/** Clocks (and clock + length) stay far below 2^53, so every sum Yjs makes is exact and re-encodable. */
const MAX_CLOCK = 2 ** 48;

/**
 * Why a client's Yjs update must not be applied to a session's document, or null when it may.
 *
 * `Y.applyUpdate` is not atomic: it integrates the structs it has read before it reads the
 * delete set, and it trusts that an item's references to its own client point backwards (a
 * client creates items in order). A corrupt update can therefore throw halfway with part of it
 * applied, broadcast and stored, or leave the struct store in a state that can no longer be
 * encoded (every later `session:join` then fails). So the whole update is decoded first (a
 * decode error touches nothing), and what Yjs assumes is checked:
 * - client ids are 32-bit, clocks are bounded, lengths are at least 1 (Yjs never writes an empty
 *   struct or delete range; a zero-length delete range throws after the structs were integrated);
 * - an item's origin, right origin and parent in its own client lie before the item;
 * - delete ranges are bounded.
 *
 * Given the session's document, it also checks what Yjs assumes of the update against it:
 * - nothing depends on state the document lacks (a client's earlier clocks, unknown origins or
 *   parents, deletes of unknown items). Yjs would keep such structs pending: in memory and in
 *   the encoded state, but in no broadcast or stored update, so copies of the session drift apart;
 * - every new item is placed where YATA's convergence needs it: its origin and right origin in
 *   one list (same parent, same map key) with the origin before the right origin, and no right
 *   origin on a map entry. An item placed otherwise integrates differently depending on what its
 *   receiver already holds, so an observer that applied it live and a fresh join (or a restart
 *   from storage) read different documents.
 *
 * What passes is what an honest Yjs client can produce.
 */
export function checkUpdate(update: Uint8Array, doc?: Y.Doc): string | null {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch {
    return 'does not decode';
  }
  const idOk = (id: Y.ID) => Number.isInteger(id.client) && id.client >= 0 && id.client <= MAX_CLIENT && Number.isInteger(id.clock) && id.clock >= 0 && id.clock < MAX_CLOCK;
  for (const s of decoded.structs) {
    if (!idOk(s.id) || !Number.isInteger(s.length) || s.length < 1 || s.id.clock + s.length > MAX_CLOCK) return 'a struct id or length is out of range';
    if (!(s instanceof Y.Item)) continue;
    for (const ref of refsOf(s)) {
      if (!idOk(ref)) return 'a reference is out of range';
      if (ref.client === s.id.client && ref.clock >= s.id.clock) return 'an item refers to a later item of its own client';
    }
  }
  for (const [client, ranges] of decoded.ds.clients) {
    if (!Number.isInteger(client) || client < 0 || client > MAX_CLIENT) return 'a deleted client id is out of range';
    for (const r of ranges) {
      if (!Number.isInteger(r.clock) || !Number.isInteger(r.len) || r.clock < 0 || r.len < 1 || r.clock + r.len > MAX_CLOCK) return 'a deleted range is out of range';
    }
  }
  return doc ? checkAgainst(decoded, update, doc) : null;
}

type Decoded = ReturnType<typeof Y.decodeUpdate>;
type SharedType = Y.Doc['share'] extends Map<string, infer T> ? T : never;

function refsOf(s: Y.Item): Y.ID[] {
  const refs: Y.ID[] = [];
  if (s.origin) refs.push(s.origin);
  if (s.rightOrigin) refs.push(s.rightOrigin);
  if (s.parent instanceof Y.ID) refs.push(s.parent);
  return refs;
}

function checkAgainst(decoded: Decoded, update: Uint8Array, doc: Y.Doc): string | null {
  const known = (client: number) => Y.getState(doc.store, client);
  // Dependencies: each client's structs continue from what the document has, without gaps.
  const ends = new Map<number, number>();
  const byClient = new Map<number, Array<{ clock: number; end: number; skip: boolean }>>();
  for (const s of decoded.structs) {
    const list = byClient.get(s.id.client) ?? [];
    list.push({ clock: s.id.clock, end: s.id.clock + s.length, skip: s instanceof Y.Skip });
    byClient.set(s.id.client, list);
  }
  for (const [client, list] of byClient) {
    list.sort((a, b) => a.clock - b.clock);
    let end = known(client);
    for (const r of list) {
      if (r.skip || r.clock > end) return 'it depends on changes this session does not have';
      end = Math.max(end, r.end);
    }
    ends.set(client, end);
  }
  const have = (id: Y.ID) => id.clock < Math.max(known(id.client), ends.get(id.client) ?? 0);
  const fresh = decoded.structs.filter((s): s is Y.Item => s instanceof Y.Item && s.id.clock + s.length > known(s.id.client));
  for (const s of fresh) {
    for (const ref of refsOf(s)) if (!have(ref)) return 'it depends on changes this session does not have';
  }
  for (const [client, ranges] of decoded.ds.clients) {
    const end = Math.max(known(client), ends.get(client) ?? 0);
    for (const r of ranges) if (r.clock + r.len > end) return 'it deletes changes this session does not have';
  }

  // Placement. An item placed the way honest editing places it (next to items the document
  // holds, in one list) integrates the same in every replica. Anything else (a resync, a
  // transaction of several edits that refer to each other, concurrent map writes, or a hostile
  // update) is tried on a copy: applied, then read back as a fresh join would read it.
  for (const s of fresh) if (!plainlyPlaced(doc, s)) return tryOnCopy(doc, update, fresh);
  return null;
}

/** Items further apart than this between origin and right origin are judged on a copy. */
const NEAR = 32;

/**
 * Whether item `s` (as decoded) is placed as one honest edit places it, among items `doc` holds:
 * - between an origin and a right origin of one list, the right origin a few items on
 *   (concurrent inserts lie between);
 * - after an origin with nothing to its right given (appending), or before a right origin
 *   near the list's start;
 * - as a map entry after the entry's current value, or as the first value of a key, or as the
 *   first item of an empty type.
 */
function plainlyPlaced(doc: Y.Doc, s: Y.Item): boolean {
  const inDoc = (id: Y.ID) => id.clock < Y.getState(doc.store, id.client);
  if (!refsOf(s).every(inDoc)) return false;
  const l = s.origin ? Y.getItem(doc.store, s.origin) : null;
  const r = s.rightOrigin ? Y.getItem(doc.store, s.rightOrigin) : null;
  if ((l && !(l instanceof Y.Item)) || (r && !(r instanceof Y.Item))) return false;
  // A map value is one item of length 1; a longer run under a key splits into several values
  // when part of it is deleted, and Yjs then keeps earlier values of that key alive.
  const parentSub = l instanceof Y.Item ? l.parentSub : r instanceof Y.Item ? r.parentSub : s.parentSub;
  if (parentSub !== null && s.length !== 1) return false;
  if (l instanceof Y.Item && r instanceof Y.Item) {
    if (l.parent !== r.parent || l.parentSub !== null || r.parentSub !== null) return false;
    if (l === r) return s.rightOrigin!.clock > s.origin!.clock;
    return near(l.right, r);
  }
  if (l instanceof Y.Item) return l.parentSub === null || l.right === null;
  if (r instanceof Y.Item) return r.parentSub === null && near((r.parent as SharedType)._start, r);
  // No origins: the first item of an empty type, or the first value of a map key.
  const parent = typeof s.parent === 'string' ? doc.share.get(s.parent) ?? null : s.parent instanceof Y.ID ? typeOf(Y.getItem(doc.store, s.parent)) : undefined;
  if (parent === undefined) return false;
  if (parent === null) return true; // a root type not created yet: empty
  return s.parentSub === null ? parent._start === null : !parent._map.has(s.parentSub);
}

function near(from: Y.Item | null, to: Y.Item): boolean {
  let x = from;
  for (let steps = 0; x && steps < NEAR; steps++, x = x.right) if (x === to) return true;
  return false;
}

function typeOf(struct: Y.Item | Y.GC): SharedType | undefined {
  return struct instanceof Y.Item && struct.content instanceof Y.ContentType ? struct.content.type : undefined;
}

/**
 * Applies `update` to a copy of `doc`, then refuses it when it does not apply, leaves anything
 * pending, places an item where no honest edit does (origin and right origin in different
 * lists, the right origin before the origin, a map entry with a right origin), or leaves a
 * structure different from the one a fresh join builds from the encoded result (later updates
 * would then integrate differently for people who join later). Costs O(document).
 */
function tryOnCopy(doc: Y.Doc, update: Uint8Array, fresh: Y.Item[]): string | null {
  const copy = copyOf(Y.encodeStateAsUpdate(doc), doc.gc);
  let reread: Y.Doc | null = null;
  try {
    try {
      Y.applyUpdate(copy, update);
    } catch {
      return 'it does not apply to this session';
    }
    if (copy.store.pendingStructs || copy.store.pendingDs) return 'it depends on changes this session does not have';
    const positions = new Positions();
    for (const s of fresh) {
      const wrong = misplaced(copy.store, s, positions);
      if (wrong) return wrong;
    }
    const broken = brokenStructure(copy);
    if (broken) return broken;
    reread = copyOf(Y.encodeStateAsUpdate(copy), doc.gc);
    return structureOf(copy) === structureOf(reread) ? null : 'it would read differently to people who join later';
  } finally {
    copy.destroy();
    reread?.destroy();
  }
}

/** Why item `s` (as decoded) sits where no honest edit puts an item, or null. */
function misplaced(store: Y.Doc['store'], s: Y.Item, positions: Positions): string | null {
  const l = s.origin ? Y.getItem(store, s.origin) : null;
  const r = s.rightOrigin ? Y.getItem(store, s.rightOrigin) : null;
  const parentSub = l instanceof Y.Item ? l.parentSub : r instanceof Y.Item ? r.parentSub : s.parentSub;
  if (parentSub !== null && s.length !== 1) return 'a map value would be longer than one item';
  // Next to a garbage-collected struct an item is collected too, the same way everywhere.
  if (!(l instanceof Y.Item) || !(r instanceof Y.Item)) {
    const one = l instanceof Y.Item ? l : r instanceof Y.Item ? r : null;
    return one && one.parentSub !== null && r instanceof Y.Item ? 'a map entry has a right origin' : null;
  }
  if (l.parent !== r.parent || l.parentSub !== r.parentSub) return "an item's origin and right origin are in different lists";
  if (l.parentSub !== null) return 'a map entry has a right origin';
  const before = l === r ? s.rightOrigin!.clock > s.origin!.clock : positions.before(l, r);
  return before ? null : "an item's right origin lies before its origin";
}

/** Whether `l` comes before `r` in their list, counting each list's positions once. */
class Positions {
  private readonly index = new Map<Y.Item, number>();

  before(l: Y.Item, r: Y.Item): boolean {
    if (near(l.right, r)) return true;
    if (!this.index.has(l)) {
      let first = l;
      while (first.left) first = first.left;
      let i = 0;
      for (let x: Y.Item | null = first; x; x = x.right) this.index.set(x, i++);
    }
    return this.index.get(l)! < (this.index.get(r) ?? -1);
  }
}

function copyOf(state: Uint8Array, gc: boolean): Y.Doc {
  const doc = new Y.Doc({ gc });
  Y.applyUpdate(doc, state);
  return doc;
}

/**
 * A document's structure: every list and every map key's history as runs of item ids in order,
 * deleted ones included (later items may be placed against them), nested types inside. Two
 * documents with the same structure integrate every later update the same way.
 */
function structureOf(doc: Y.Doc): string {
  const out: string[] = [];
  const runs = (first: Y.Item | null): string => {
    const parts: string[] = [];
    let run: { client: number; clock: number; end: number; deleted: boolean } | null = null;
    const nested: Y.Item[] = [];
    for (let x = first; x; x = x.right) {
      if (x.content instanceof Y.ContentType) nested.push(x);
      const { client, clock } = x.id;
      if (run && run.client === client && run.end === clock && run.deleted === x.deleted) run.end += x.length;
      else {
        if (run) parts.push(`${run.client}:${run.clock}-${run.end}${run.deleted ? 'd' : ''}`);
        run = { client, clock, end: clock + x.length, deleted: x.deleted };
      }
    }
    if (run) parts.push(`${run.client}:${run.clock}-${run.end}${run.deleted ? 'd' : ''}`);
    for (const item of nested) typeAt(`${item.id.client}:${item.id.clock}`, (item.content as Y.ContentType).type as SharedType);
    return parts.join(',');
  };
  const typeAt = (name: string, type: SharedType) => {
    out.push(`${name}[${runs(type._start)}]`);
    for (const key of [...type._map.keys()].sort()) {
      let first: Y.Item | null = type._map.get(key)!;
      while (first.left) first = first.left;
      out.push(`${name}.${JSON.stringify(key)}[${runs(first)}]`);
    }
  };
  for (const name of [...doc.share.keys()].sort()) typeAt(JSON.stringify(name), doc.share.get(name)!);
  return out.join('\n');
}

/**
 * What Yjs itself relies on later, checked on the copy: each list's items belong to it, each map
 * key's earlier values are deleted (deleting the map, Yjs deletes only the current ones and then
 * collects all of them; an earlier value still alive makes that throw halfway).
 */
function brokenStructure(doc: Y.Doc): string | null {
  const check = (type: SharedType): string | null => {
    for (let x = type._start; x; x = x.right) {
      if (x.parent !== type || x.parentSub !== null) return 'an item would sit in a list it does not belong to';
      if (x.content instanceof Y.ContentType) {
        const inner = check(x.content.type as SharedType);
        if (inner) return inner;
      }
    }
    for (const [key, current] of type._map) {
      if (current.right !== null) return 'a map entry would not be its key\'s last value';
      for (let x: Y.Item | null = current; x; x = x.left) {
        if (x.parent !== type || x.parentSub !== key) return 'an item would sit in a map key it does not belong to';
        if (x !== current && !x.deleted) return 'an earlier value of a map key would stay alive';
        if (x.content instanceof Y.ContentType) {
          const inner = check(x.content.type as SharedType);
          if (inner) return inner;
        }
      }
    }
    return null;
  };
  for (const type of doc.share.values()) {
    const broken = check(type as SharedType);
    if (broken) return broken;
  }
  return null;
}
