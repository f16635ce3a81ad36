import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import { PresenceState, type Role } from '@/lib/protocol';
import { FlintError } from '../errors';

/** The socket an awareness update came from, as the server knows it. */
export interface PresenceSender {
  socketId: string;
  /** Public id of the person (`publicId`): written into `user.pid` of every state they send. */
  pid: string;
  role: Role;
}

interface Room {
  awareness: Awareness;
  /** Awareness client id → the socket that controls it. */
  controlledBy: Map<number, PresenceSender>;
}

/** A tab has one Y.Doc; a few client ids per socket leave room for a page re-creating its doc. */
const MAX_CLIENT_IDS_PER_SOCKET = 4;

/**
 * Presence (y-protocols awareness) of every session, relayed over the session's socket room.
 *
 * Invariants:
 * - A state reaches others only after it parsed as a `PresenceState`; `user.pid` and `user.role`
 *   are the server's, whatever the client wrote.
 * - A client id belongs to the first socket that sent it; another socket may take it over only
 *   when it is the same person (a reconnect), else the update is `forbidden`.
 * - When a socket leaves (disconnect, another session, revoked link) its states are removed and
 *   the removal goes to the room. States never time out otherwise: the socket's lifetime is the
 *   presence's lifetime, so a throttled background tab does not vanish.
 */
export class PresenceHub {
  private readonly rooms = new Map<string, Room>();
  private readonly sockets = new Map<string, { sessionId: string; clientIds: Set<number> }>();

  constructor(private readonly broadcast: (sessionId: string, update: Uint8Array, exceptSocketId: string | null) => void) {}

  private room(sessionId: string, doc: Y.Doc): Room {
    let room = this.rooms.get(sessionId);
    if (room) return room;
    const awareness = new Awareness(doc);
    // Removal happens on disconnect (see invariants); the built-in 30 s timeout is not wanted.
    clearInterval((awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
    awareness.setLocalState(null);
    awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      if (changed.length === 0) return;
      this.broadcast(sessionId, encodeAwarenessUpdate(awareness, changed), typeof origin === 'string' ? origin : null);
    });
    room = { awareness, controlledBy: new Map() };
    this.rooms.set(sessionId, room);
    return room;
  }

  /** Every present participant's state, for a socket that just joined; null when nobody is there. */
  snapshot(sessionId: string): Uint8Array | null {
    const room = this.rooms.get(sessionId);
    if (!room || room.awareness.getStates().size === 0) return null;
    return encodeAwarenessUpdate(room.awareness, [...room.awareness.getStates().keys()]);
  }

  /** Validates, rewrites and applies one client's update; the room hears of it except the sender. */
  apply(sessionId: string, doc: Y.Doc, sender: PresenceSender, update: Uint8Array): void {
    const own = this.sockets.get(sender.socketId);
    if (own && own.sessionId !== sessionId) this.leave(sender.socketId);
    const room = this.room(sessionId, doc);
    const entries = decodeUpdate(update);
    const mine = this.sockets.get(sender.socketId)?.clientIds ?? new Set<number>();
    for (const e of entries) {
      const holder = room.controlledBy.get(e.clientId);
      if (holder && holder.socketId !== sender.socketId && holder.pid !== sender.pid) {
        throw new FlintError('forbidden', 'That presence belongs to someone else.');
      }
      if (!mine.has(e.clientId) && mine.size >= MAX_CLIENT_IDS_PER_SOCKET) throw new FlintError('badRequest', 'too many presence ids on one connection');
      if (e.state !== null) {
        const parsed = PresenceState.safeParse(e.state);
        if (!parsed.success) throw new FlintError('badRequest', `presence: ${parsed.error.issues[0]?.message ?? 'invalid'}`.slice(0, 200));
        e.state = { ...parsed.data, user: { ...parsed.data.user, pid: sender.pid, role: sender.role } };
      }
    }
    for (const e of entries) {
      const holder = room.controlledBy.get(e.clientId);
      if (holder && holder.socketId !== sender.socketId) this.sockets.get(holder.socketId)?.clientIds.delete(e.clientId);
      room.controlledBy.set(e.clientId, sender);
      mine.add(e.clientId);
    }
    this.sockets.set(sender.socketId, { sessionId, clientIds: mine });
    applyAwarenessUpdate(room.awareness, encodeUpdate(entries), sender.socketId);
  }

  /** Removes the socket's presence and tells the room. */
  leave(socketId: string): void {
    const entry = this.sockets.get(socketId);
    if (!entry) return;
    this.sockets.delete(socketId);
    const room = this.rooms.get(entry.sessionId);
    if (!room) return;
    const ids = [...entry.clientIds].filter((id) => room.controlledBy.get(id)?.socketId === socketId);
    for (const id of ids) room.controlledBy.delete(id);
    removeAwarenessStates(room.awareness, ids, 'leave');
  }

  /** Presence states of a session, by client id (for tests and diagnostics). */
  states(sessionId: string): Map<number, Record<string, unknown>> {
    return new Map(this.rooms.get(sessionId)?.awareness.getStates() ?? []);
  }

  close(): void {
    for (const room of this.rooms.values()) room.awareness.destroy();
    this.rooms.clear();
    this.sockets.clear();
  }
}

interface Entry {
  clientId: number;
  clock: number;
  state: Record<string, unknown> | null;
}

/** The wire format of `encodeAwarenessUpdate`: count, then (client id, clock, JSON state) each. */
function decodeUpdate(update: Uint8Array): Entry[] {
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    if (count === 0 || count > MAX_CLIENT_IDS_PER_SOCKET) throw new Error('count');
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      const clock = decoding.readVarUint(decoder);
      const state: unknown = JSON.parse(decoding.readVarString(decoder));
      if (state !== null && (typeof state !== 'object' || Array.isArray(state))) throw new Error('state');
      entries.push({ clientId, clock, state: state as Record<string, unknown> | null });
    }
    if (decoding.hasContent(decoder)) throw new Error('trailing bytes');
    return entries;
  } catch {
    throw new FlintError('badRequest', 'not a valid awareness update');
  }
}

function encodeUpdate(entries: Entry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(encoder, e.clientId);
    encoding.writeVarUint(encoder, e.clock);
    encoding.writeVarString(encoder, JSON.stringify(e.state));
  }
  return encoding.toUint8Array(encoder);
}
