import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import type { Role } from '@/lib/protocol';
import type { Participant } from '@/lib/stores/ide-store';
import { REMOTE, type RuntimeContext } from './context';
import type { Profile } from './profile';

/**
 * Presence of everyone in the session (y-protocols `Awareness` on the runtime's doc), synced over
 * the session socket: my state out while joined, others' in, the store's participant list.
 */
export class Presence {
  readonly awareness: Awareness;

  constructor(
    private readonly ctx: RuntimeContext,
    private profile: Profile,
  ) {
    const awareness = (this.awareness = new Awareness(ctx.doc));
    // The server removes a participant when their socket goes; no timeouts here, so a throttled
    // background tab does not vanish from everyone's list.
    clearInterval((awareness as unknown as { _checkInterval: ReturnType<typeof setInterval> })._checkInterval);
    awareness.setLocalState(null);
    const onUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
      const mine = [...added, ...updated, ...removed].includes(ctx.doc.clientID);
      if (origin !== REMOTE && mine && ctx.joined && ctx.socket.connected) {
        ctx.socket.emit('awareness:update', encodeAwarenessUpdate(awareness, [ctx.doc.clientID]), (r) => {
          if (!r.ok) console.warn('[flint] presence refused:', r.error.message);
        });
      }
    };
    awareness.on('update', onUpdate);
    const onChange = () => this.refreshParticipants();
    awareness.on('change', onChange);
    ctx.off.push(() => awareness.off('update', onUpdate), () => awareness.off('change', onChange));
  }

  /** An `awareness:update` from the server. */
  applyRemote(update: Uint8Array) {
    applyAwarenessUpdate(this.awareness, update, REMOTE);
  }

  /** Joined: announce myself; a new clock, so the server takes it even if it saw this client id before. */
  announce() {
    this.awareness.setLocalState({ file: null, ...this.awareness.getLocalState(), user: { ...this.profile } });
  }

  /** Disconnected: the others are not known to be here any more. */
  dropOthers() {
    const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.ctx.doc.clientID);
    removeAwarenessStates(this.awareness, others, REMOTE);
  }

  /** A new name or colour: saved by the caller, announced here. */
  setProfile(profile: Profile) {
    this.profile = profile;
    if (this.awareness.getLocalState() !== null) this.awareness.setLocalStateField('user', { ...profile });
  }

  /** Where I am: the open file and the first visible line (for others' follow mode). */
  setLocation(file: string | null, top: number | null) {
    const local = this.awareness.getLocalState();
    if (!local || (local.file === file && (local.viewport?.top ?? null) === top)) return;
    this.awareness.setLocalState({ ...local, file, viewport: top === null ? null : { top } });
  }

  private refreshParticipants() {
    const store = this.ctx.store.getState();
    const list: Participant[] = [];
    for (const [clientId, raw] of this.awareness.getStates()) {
      const state = raw as { user?: { name?: unknown; color?: unknown; pid?: unknown; role?: unknown }; file?: unknown; viewport?: { top?: unknown } | null };
      const self = clientId === this.ctx.doc.clientID;
      const user = state.user;
      if (!user || typeof user.name !== 'string' || typeof user.color !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(user.color)) continue;
      const role = (self ? store.role : user.role) as Role | null | undefined;
      if (role !== 'owner' && role !== 'editor' && role !== 'viewer') continue;
      list.push({
        clientId,
        pid: self ? (store.pid ?? '') : String(user.pid ?? ''),
        name: user.name,
        color: user.color,
        role,
        file: typeof state.file === 'string' ? state.file : null,
        top: typeof state.viewport?.top === 'number' ? state.viewport.top : null,
        self,
      });
    }
    const rank = { owner: 0, editor: 1, viewer: 2 } as const;
    list.sort((a, b) => Number(b.self) - Number(a.self) || rank[a.role] - rank[b.role] || a.name.localeCompare(b.name) || a.clientId - b.clientId);
    store.setParticipants(list);
  }

  dispose() {
    this.awareness.destroy();
  }
}
