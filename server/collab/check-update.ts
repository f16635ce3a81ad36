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
 * What passes is what an honest Yjs client can produce.
 */
export function checkUpdate(update: Uint8Array, known?: Map<number, number>): string | null {
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
    for (const ref of [s.origin, s.rightOrigin, s.parent instanceof Y.ID ? s.parent : null]) {
      if (ref === null) continue;
      if (!idOk(ref)) return 'a reference is out of range';
      if (ref.client === s.id.client && ref.clock >= s.id.clock) return 'an item refers to a later item of its own client';
    }
  }
  // Against what the document holds (`known`: its state vector), nothing may depend on state it
  // lacks: Yjs would keep such structs or deletes pending — in memory and in the encoded state,
  // but in no broadcast or stored update — so copies of the session would drift apart.
  const ends = new Map<number, number>();
  if (known) {
    const byClient = new Map<number, Array<{ clock: number; end: number; skip: boolean }>>();
    for (const s of decoded.structs) {
      const list = byClient.get(s.id.client) ?? [];
      list.push({ clock: s.id.clock, end: s.id.clock + s.length, skip: s instanceof Y.Skip });
      byClient.set(s.id.client, list);
    }
    for (const [client, list] of byClient) {
      list.sort((a, b) => a.clock - b.clock);
      let end = known.get(client) ?? 0;
      for (const r of list) {
        if (r.skip || r.clock > end) return 'it depends on changes this session does not have';
        end = Math.max(end, r.end);
      }
      ends.set(client, end);
    }
    const have = (id: Y.ID) => id.clock < Math.max(known.get(id.client) ?? 0, ends.get(id.client) ?? 0);
    for (const s of decoded.structs) {
      if (!(s instanceof Y.Item)) continue;
      for (const ref of [s.origin, s.rightOrigin, s.parent instanceof Y.ID ? s.parent : null]) {
        if (ref && !have(ref)) return 'it depends on changes this session does not have';
      }
    }
  }
  for (const [client, ranges] of decoded.ds.clients) {
    if (!Number.isInteger(client) || client < 0 || client > MAX_CLIENT) return 'a deleted client id is out of range';
    for (const r of ranges) {
      if (!Number.isInteger(r.clock) || !Number.isInteger(r.len) || r.clock < 0 || r.len < 1 || r.clock + r.len > MAX_CLOCK) return 'a deleted range is out of range';
      if (known && r.clock + r.len > Math.max(known.get(client) ?? 0, ends.get(client) ?? 0)) return 'it deletes changes this session does not have';
    }
  }
  return null;
}
