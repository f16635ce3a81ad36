import { createStore, type StateCreator } from 'zustand/vanilla';
import type { ProtocolError, Role, TierInfo, TierName, TierStatus } from '@/lib/protocol';
import type { HunkView, RestoreRecord, TurnRecord } from '@/lib/collab/thread';

/**
 * One store per open session, created by `SessionProvider` (components/session-provider.tsx) (never a module-level global, so two
 * sessions or two server renders never share state). Composed from typed slices.
 */

export type ConnectionState = 'connecting' | 'joining' | 'ready' | 'reconnecting' | 'failed';
export type StreamStatus = 'idle' | 'queued' | 'streaming' | 'done' | 'interrupted' | 'error';

export interface ConnectionSlice {
  connection: ConnectionState;
  /** A fatal problem (version mismatch, unknown session): the workspace cannot be used. */
  fatal: ProtocolError | null;
  /** What serves each mode, as the server announced on join. */
  tiers: Record<TierName, TierInfo> | null;
  /** The mode the next prompt uses. */
  mode: TierName;
  setMode(mode: TierName): void;
  setConnection(connection: ConnectionState): void;
  setFatal(error: ProtocolError): void;
}

export interface FilesSlice {
  files: string[];
  openPath: string | null;
  /** Files opened in this tab, most recent first: the "open files" a prompt carries. */
  recentPaths: string[];
  setFiles(files: string[]): void;
  openFile(path: string | null): void;
  /** A binary file shown instead of the editor (lib/workspace/project-doc.ts `binaries`); null: the editor. */
  openBinary: string | null;
  showBinary(path: string | null): void;
}

export interface StreamState {
  id: string | null;
  status: StreamStatus;
  /** Submit → first character painted, in ms; measured in this browser. */
  ttftMs: number | null;
  /** The same, stage by stage (lib/client/ttft-stages.ts), once this browser's turn has ended. */
  ttftStages: ReadonlyArray<{ stage: string; ms: number | null }> | null;
  /** Tokens per second between the first and the last delta received. */
  tokensPerSecond: number | null;
  tokens: number;
  chars: number;
  /** Characters dropped because the stream was interrupted mid-way. */
  dropped: number;
  /** 1-based place in the server's queue while `status` is `queued` for a slot. */
  queuePosition: number | null;
  /** The tier answered 429: the server retries in this many ms. */
  capacityRetryMs: number | null;
}

export interface StreamSlice {
  stream: StreamState;
  updateStream(patch: Partial<StreamState>): void;
}

export interface ErrorSlice {
  error: ProtocolError | null;
  showError(error: ProtocolError | null): void;
  /**
   * The server refused this tab's edits (a limit: document size, file count, message size): they
   * are kept here, shown, and saved once a later change makes them fit. null: all sent.
   */
  unsaved: ProtocolError | null;
  setUnsaved(error: ProtocolError | null): void;
}

/** The block being streamed right now, as the live diff shows it. */
export interface LiveBlock {
  index: number;
  path: string | null;
  phase: 'search' | 'replace';
  /** Whether its SEARCH placed in the file (null until SEARCH is complete). */
  placed: boolean | null;
  chars: number;
}

/** The session's running turn as this browser parses it, whoever started it. */
export interface LiveSlice {
  live: {
    turnId: string | null;
    /** The answer's prose so far (blocks excluded). */
    prose: string;
    block: LiveBlock | null;
    /** Blocks closed so far in this turn. */
    closed: number;
    /** The block that was streaming when the turn stopped: dropped, never applied. */
    dropped: { path: string | null; chars: number } | null;
    context: { tokens: number; files: string[]; turns: number; truncated: string[] } | null;
  };
  updateLive(patch: Partial<LiveSlice['live']>): void;
}

export interface ThreadSlice {
  thread: TurnRecord[];
  /** Hunks to review (pending or conflict, of turns not reverted) and the last turn's decided ones. */
  hunks: HunkView[];
  restores: RestoreRecord[];
  /** The hunk keyboard shortcuts act on. */
  selectedHunk: string | null;
  /** Apply hunks as their blocks close. */
  autoApply: boolean;
  /** When blocks of my answer do not apply, send the model one automatic follow-up with the failure report (`ai:retry` auto). */
  autoRetry: boolean;
  /** Text put into the prompt box for the person to edit and send (e.g. a failure report); `n` makes a repeat a change. */
  promptDraft: { text: string; n: number } | null;
  setThread(thread: TurnRecord[], hunks: HunkView[], restores: RestoreRecord[]): void;
  selectHunk(id: string | null): void;
  setAutoApply(autoApply: boolean): void;
  setAutoRetry(autoRetry: boolean): void;
  draftPrompt(text: string): void;
}

export interface FollowUp {
  id: string;
  text: string;
}

/** Follow-ups written while a turn streams, run one by one after it (this browser's own). */
export interface FollowUpSlice {
  followups: FollowUp[];
  setFollowups(followups: FollowUp[]): void;
}

/** Each tier's state as the server reports it (`tier:state`): ready, warming, downloading n%, unavailable and why. */
export interface TierSlice {
  tierStatus: Partial<Record<TierName, TierStatus>>;
  setTierStatus(tier: TierName, status: TierStatus): void;
}

/** Someone in the session, from presence (awareness): one entry per open tab. */
export interface Participant {
  /** The awareness client id (the tab's Y.Doc client id). */
  clientId: number;
  pid: string;
  name: string;
  color: string;
  role: Role;
  file: string | null;
  /** First visible line of their editor. */
  top: number | null;
  self: boolean;
}

/** Who I am here and who else is: role, presence, follow mode. */
export interface PresenceSlice {
  /** My role, as the server said on join; null before. */
  role: Role | null;
  pid: string | null;
  participants: Participant[];
  /** The participant (client id) whose file and viewport this tab follows. */
  following: number | null;
  setRole(role: Role, pid: string): void;
  setParticipants(participants: Participant[]): void;
  follow(clientId: number | null): void;
}

export type IdeStore = PresenceSlice & ConnectionSlice & FilesSlice & StreamSlice & ErrorSlice & TierSlice & LiveSlice & ThreadSlice & FollowUpSlice;

const connectionSlice: StateCreator<IdeStore, [], [], ConnectionSlice> = (set) => ({
  connection: 'connecting',
  fatal: null,
  tiers: null,
  mode: 'instant',
  setMode: (mode) => set({ mode }),
  setConnection: (connection) => set({ connection }),
  setFatal: (fatal) => set({ fatal, connection: 'failed' }),
});

const filesSlice: StateCreator<IdeStore, [], [], FilesSlice> = (set, get) => ({
  files: [],
  openPath: null,
  recentPaths: [],
  setFiles: (files) => {
    const { openPath } = get();
    const stillOpen = openPath !== null && files.includes(openPath);
    set({ files, openPath: stillOpen ? openPath : (files.find((f) => /\.(ts|tsx|js)$/.test(f) && !f.includes('.test.')) ?? files[0] ?? null) });
  },
  openBinary: null,
  showBinary: (openBinary) => set({ openBinary }),
  openFile: (openPath) => set((s) => ({ openPath, openBinary: null, recentPaths: openPath ? [openPath, ...s.recentPaths.filter((p) => p !== openPath)].slice(0, 10) : s.recentPaths })),
});

export const IDLE_STREAM: StreamState = {
  id: null,
  status: 'idle',
  ttftMs: null,
  ttftStages: null,
  tokensPerSecond: null,
  tokens: 0,
  chars: 0,
  dropped: 0,
  queuePosition: null,
  capacityRetryMs: null,
};

const streamSlice: StateCreator<IdeStore, [], [], StreamSlice> = (set) => ({
  stream: IDLE_STREAM,
  updateStream: (patch) => set((s) => ({ stream: { ...s.stream, ...patch } })),
});

const errorSlice: StateCreator<IdeStore, [], [], ErrorSlice> = (set) => ({
  error: null,
  showError: (error) => set({ error }),
  unsaved: null,
  setUnsaved: (unsaved) => set({ unsaved }),
});

export const IDLE_LIVE: LiveSlice['live'] = { turnId: null, prose: '', block: null, closed: 0, dropped: null, context: null };

const liveSlice: StateCreator<IdeStore, [], [], LiveSlice> = (set) => ({
  live: IDLE_LIVE,
  updateLive: (patch) => set((s) => ({ live: { ...s.live, ...patch } })),
});

const threadSlice: StateCreator<IdeStore, [], [], ThreadSlice> = (set) => ({
  thread: [],
  hunks: [],
  restores: [],
  selectedHunk: null,
  autoApply: false,
  autoRetry: true,
  promptDraft: null,
  setThread: (thread, hunks, restores) => set({ thread, hunks, restores }),
  selectHunk: (selectedHunk) => set({ selectedHunk }),
  setAutoApply: (autoApply) => set({ autoApply }),
  setAutoRetry: (autoRetry) => set({ autoRetry }),
  draftPrompt: (text) => set((s) => ({ promptDraft: { text, n: (s.promptDraft?.n ?? 0) + 1 } })),
});

const followUpSlice: StateCreator<IdeStore, [], [], FollowUpSlice> = (set) => ({
  followups: [],
  setFollowups: (followups) => set({ followups }),
});

const tierSlice: StateCreator<IdeStore, [], [], TierSlice> = (set) => ({
  tierStatus: {},
  setTierStatus: (tier, status) => set((s) => ({ tierStatus: { ...s.tierStatus, [tier]: status } })),
});

const presenceSlice: StateCreator<IdeStore, [], [], PresenceSlice> = (set) => ({
  role: null,
  pid: null,
  participants: [],
  following: null,
  setRole: (role, pid) => set({ role, pid }),
  setParticipants: (participants) =>
    set((s) => ({ participants, following: s.following !== null && participants.some((p) => p.clientId === s.following) ? s.following : null })),
  follow: (following) => set({ following }),
});

export function createIdeStore() {
  return createStore<IdeStore>()((...a) => ({
    ...presenceSlice(...a),
    ...connectionSlice(...a),
    ...filesSlice(...a),
    ...streamSlice(...a),
    ...errorSlice(...a),
    ...liveSlice(...a),
    ...threadSlice(...a),
    ...followUpSlice(...a),
    ...tierSlice(...a),
  }));
}
export type IdeStoreApi = ReturnType<typeof createIdeStore>;

/** The state of the selected tier, as `provider-status` shows it. */
export function selectTierState(s: IdeStore): string {
  if (s.connection !== 'ready') return s.connection === 'failed' ? 'unavailable' : 'connecting';
  if (s.stream.status === 'queued') return s.stream.capacityRetryMs !== null ? 'waiting for capacity' : 'queued';
  if (s.stream.status === 'streaming') return 'streaming';
  const tier = s.tierStatus[s.mode];
  if (tier?.state === 'downloading') return tier.progress?.percent != null ? `downloading ${tier.progress.percent}%` : 'downloading';
  return tier?.state ?? 'ready';
}

export const selectIsStreaming = (s: IdeStore) => s.stream.status === 'streaming' || s.stream.status === 'queued';

/** Editors and the owner change files, prompt and review; viewers only watch. */
export const selectCanEdit = (s: IdeStore) => s.role === 'owner' || s.role === 'editor';
