import { randomUUID } from 'node:crypto';
import type { AgentRecord, AgentStartPayload, TestsResultPayload, TierName } from '@/lib/protocol';
import { readAgent, readAgents, writeAgent } from '@/lib/collab/agents';
import { addHunk, createTurn, finishTurn, placeHunk, recordCheckpoint } from '@/lib/collab/thread';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';
import type { FlintSocket, Io } from '../edge/types';
import type { InferenceProvider } from '../inference/types';
import type { Session, SessionStore } from '../sessions/session-store';
import { textBytes, type DocLimits } from '../sessions/doc-limits';
import { describeUpstreamError } from '../ai/ai-controller';
import { FlintError } from '../errors';
import { runAgent, type AgentLimits } from './agent-loop';
import { mergeHunks } from './merge';

/** Origin of the agents' writes to a session document (their records, the review turn of a taken result). */
export const AGENT_ORIGIN = 'flint:agent';

export interface AgentServiceLimits extends AgentLimits {
  /** How long a browser may take to report one round's test run before the agent fails. */
  testAnswerMs: number;
  /** Agents running at once in one session (attempts count one each). */
  maxRunningPerSession: number;
}

/** Sampling of attempt `i` of N: the first as configured, the others spread out so they differ. */
export function attemptTemperature(i: number, n: number): number | null {
  return n === 1 ? null : Math.round((0.2 + (0.8 * i) / Math.max(1, n - 1)) * 100) / 100;
}

interface Running {
  sessionId: string;
  controller: AbortController;
  /** The socket that started it: it drives the tests while it is there. */
  starter: string;
  /** The round's test run waiting for a browser's `agent:result`. */
  /**
   * The round's test run waiting for a browser's `agent:result`: `driver` the socket it was sent
   * to (null: waiting for one); `timer` runs only while a browser has it (`testAnswerMs`).
   */
  pending: {
    round: number;
    files: Record<string, string>;
    driver: string | null;
    timer: NodeJS.Timeout | undefined;
    resolve(r: TestsResultPayload): void;
    timeout(): void;
  } | null;
}

/**
 * Background agents of every session on this process (server/agents/CONTEXT.md): each runs
 * `runAgent` on its own copy of the files; its record is written into the session's document
 * (shared and stored like the thread); the tests of each round are sent to one browser of the
 * session (`agent:run`), which runs them in its sandbox and answers `agent:result` — the server
 * never runs them. Without a browser the agent waits, and its note says so.
 */
export class AgentService {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly deps: {
      io: Io;
      sessions: SessionStore;
      providers: Record<TierName, InferenceProvider>;
      limits: AgentServiceLimits;
      docLimits?: DocLimits;
      log?: (msg: string, err?: unknown) => void;
    },
  ) {}

  start(socket: FlintSocket, session: Session, payload: AgentStartPayload): string[] {
    if (readFile(session.doc, payload.path) === undefined) throw new FlintError('fileNotFound', `No file ${payload.path} in this session.`);
    const here = [...this.running.values()].filter((r) => r.sessionId === session.id).length;
    if (here + payload.attempts > this.deps.limits.maxRunningPerSession) {
      throw new FlintError('busy', `At most ${this.deps.limits.maxRunningPerSession} agents run at once in a session; ${here} are running.`);
    }
    const base = new Map<string, string>();
    for (const [path, text] of filesOf(session.doc)) base.set(path, text.toString());
    const group = randomUUID();
    const ids: string[] = [];
    for (let i = 0; i < payload.attempts; i++) {
      const id = randomUUID();
      const record: AgentRecord = {
        id,
        group,
        attempt: i + 1,
        attempts: payload.attempts,
        prompt: payload.prompt,
        path: payload.path,
        mode: payload.mode,
        status: 'running',
        round: 0,
        maxRounds: this.deps.limits.maxRounds,
        passed: null,
        total: null,
        tokens: 0,
        temperature: attemptTemperature(i, payload.attempts),
        startedAt: Date.now(),
        endedAt: null,
        note: 'starting',
        reason: null,
        refused: [],
        diffLines: 0,
        changes: [],
        openedTurn: null,
      };
      this.write(session, record);
      const run: Running = { sessionId: session.id, controller: new AbortController(), starter: socket.id, pending: null };
      this.running.set(id, run);
      ids.push(id);
      void this.loop(session, record, base, run)
        .catch((err) => this.deps.log?.('an agent failed', err))
        .finally(() => this.running.delete(id));
    }
    return ids;
  }

  stop(session: Session, agentId: string): void {
    const run = this.running.get(agentId);
    const record = readAgent(session.doc, agentId);
    if (!record) throw new FlintError('agentNotFound');
    if (run && run.sessionId === session.id) {
      run.controller.abort(new Error('stopped'));
      return;
    }
    // Not running here (it ended, or its process went away): a record still `running` is ended.
    if (record.status === 'running') this.write(session, { ...record, status: 'stopped', reason: 'Stopped.', note: null, endedAt: Date.now() });
  }

  /** A browser's test run of a round; only the browser it was sent to, for the round it asked. */
  result(socket: FlintSocket, session: Session, agentId: string, round: number, report: TestsResultPayload): void {
    const run = this.running.get(agentId);
    if (!run || run.sessionId !== session.id) throw new FlintError('agentNotFound', 'That agent is not running on this server.');
    const pending = run.pending;
    if (!pending || pending.round !== round || pending.driver !== socket.id) throw new FlintError('badRequest', 'This browser was not asked to run that round.');
    pending.resolve(report);
  }

  /** A browser left: the test runs it was asked for go to another browser of the session, or wait for one. */
  disconnect(socket: FlintSocket): void {
    for (const run of this.running.values()) {
      if (run.pending?.driver === socket.id) {
        run.pending.driver = null;
        clearTimeout(run.pending.timer);
        const session = this.deps.sessions.loaded(run.sessionId);
        if (session) this.dispatch(session, run, socket.id);
      }
    }
  }

  /** Every agent of a session still marked running with no process running it (e.g. after a restart) is ended. */
  endOrphans(session: Session): void {
    for (const rec of readAgents(session.doc)) {
      if (rec.status === 'running' && !this.running.has(rec.id)) {
        this.write(session, { ...rec, status: 'stopped', note: null, reason: 'Flint restarted while this agent ran.', endedAt: Date.now() });
      }
    }
  }

  /**
   * The agent's result as a review turn: a three-way merge per changed file (the base it started
   * from, the person's text now, the agent's) as hunks against the current files; conflicts show
   * as hunks that do not place. Returns the turn's id.
   */
  open(session: Session, agentId: string): string {
    const record = readAgent(session.doc, agentId);
    if (!record) throw new FlintError('agentNotFound');
    if (record.status === 'running') throw new FlintError('busy', 'The agent is still running: stop it first, or wait for it to end.');
    const files = record.changes.map((c) => ({ change: c, hunks: mergeHunks(c.base, readFile(session.doc, c.path) ?? null, c.text) })).filter((f) => f.hunks.length);
    if (!files.length) throw new FlintError('badRequest', 'The agent changed nothing that is not already in the files.');
    const turnId = randomUUID();
    const path = files.some((f) => f.change.path === record.path) ? record.path : files[0].change.path;
    const estimate = files.reduce((n, f) => n + f.hunks.reduce((m, h) => m + textBytes(h.search) + textBytes(h.replace), 0), textBytes(record.prompt));
    const write = (doc: typeof session.doc) => {
      createTurn(doc, { id: turnId, prompt: `Agent${record.attempts > 1 ? ` (attempt ${record.attempt})` : ''}: ${record.prompt}`, mode: record.mode, path, autoApply: false }, AGENT_ORIGIN);
      let index = 0;
      let conflicts = 0;
      for (const f of files) {
        recordCheckpoint(doc, turnId, f.change.path, AGENT_ORIGIN);
        for (const h of f.hunks) {
          const placed = !h.conflict && placeHunk(readFile(doc, f.change.path) ?? null, h).ok;
          if (!placed) conflicts++;
          addHunk(doc, turnId, { index: index++, path: f.change.path, search: h.search, replace: h.replace, matchedAtProposal: placed }, AGENT_ORIGIN);
        }
      }
      const summary = `The agent's change (${record.status}, ${record.passed ?? 0}/${record.total ?? 0} tests passed in round ${record.round}).${conflicts ? ` ${conflicts} of its hunks conflict with changes made meanwhile: they are marked and not applied.` : ''}`;
      finishTurn(doc, turnId, { status: 'done', response: summary, error: null, dropped: null }, AGENT_ORIGIN);
    };
    if (this.deps.docLimits) this.deps.docLimits.write(session.doc, estimate, write);
    else write(session.doc);
    this.write(session, { ...record, openedTurn: turnId });
    return turnId;
  }

  close(): void {
    for (const run of this.running.values()) run.controller.abort(new Error('shutdown'));
  }

  private write(session: Session, record: AgentRecord): void {
    const estimate = record.changes.reduce((n, c) => n + textBytes(c.base ?? '') + textBytes(c.text ?? ''), 2_000);
    try {
      if (this.deps.docLimits) this.deps.docLimits.write(session.doc, estimate, (d) => writeAgent(d, record, AGENT_ORIGIN));
      else writeAgent(session.doc, record, AGENT_ORIGIN);
    } catch (err) {
      if (!(err instanceof FlintError) || err.code !== 'limitExceeded') throw err;
      // The copy no longer fits the session: keep the state, drop the change (it cannot be taken).
      writeAgent(session.doc, { ...record, changes: [], note: record.note, reason: record.reason ?? `Its change does not fit the session: ${err.message}` }, AGENT_ORIGIN);
    }
  }

  private async loop(session: Session, initial: AgentRecord, base: ReadonlyMap<string, string>, run: Running): Promise<void> {
    let record = initial;
    const provider = this.deps.providers[record.mode];
    const update = (patch: Partial<AgentRecord>) => {
      // The person may have written over the record (it is in the shared document); ours is authoritative.
      const next = { ...record, ...patch };
      if (JSON.stringify(next) === JSON.stringify(record) && JSON.stringify(readAgent(session.doc, record.id)) === JSON.stringify(record)) return;
      record = next;
      this.write(session, record);
    };
    await runAgent(
      { prompt: record.prompt, path: record.path, base },
      this.deps.limits,
      {
        now: () => Date.now(),
        update,
        ask: async (messages, signal) => {
          let text = '';
          let deltas = 0;
          let usage: number | null = null;
          try {
            for await (const ev of provider.stream({ messages, ...(record.temperature !== null ? { temperature: record.temperature } : {}) }, signal)) {
              if (ev.type === 'usage') usage = ev.completionTokens;
              else {
                text += ev.text;
                deltas++;
              }
            }
          } catch (err) {
            if (signal.aborted) throw err;
            throw describeUpstreamError(err);
          }
          if (signal.aborted) throw new Error('stopped');
          return { text, tokens: usage ?? deltas };
        },
        runTests: (files, round, signal) =>
          new Promise<TestsResultPayload>((resolve, reject) => {
            const stopWaiting = () => {
              clearInterval(waiting);
              clearTimeout(run.pending?.timer);
              run.pending = null;
            };
            run.pending = {
              round,
              files: Object.fromEntries(files),
              driver: null,
              timer: undefined,
              resolve: (r) => {
                stopWaiting();
                resolve(r);
              },
              timeout: () => {
                stopWaiting();
                reject(new Error(`The browser running the tests of round ${round} did not report them within ${Math.round(this.deps.limits.testAnswerMs / 1000)} s.`));
              },
            };
            // No browser yet: look again until one joins (cheap; only while an agent waits).
            const waiting = setInterval(() => run.pending && run.pending.driver === null && this.dispatch(session, run), 500);
            this.dispatch(session, run);
            signal.addEventListener('abort', () => {
              stopWaiting();
              reject(signal.reason);
            });
          }),
      },
      run.controller.signal,
    );
  }

  /** Sends the pending test run to a browser of the session: the starter while it is there, else any editor's. */
  private dispatch(session: Session, run: Running, except?: string): void {
    const pending = run.pending;
    if (!pending || pending.driver !== null) return;
    const sockets = [...this.deps.io.sockets.sockets.values()].filter((s) => s.id !== except && s.connected && s.data.sessionId === session.id && s.data.role && s.data.role !== 'viewer');
    const driver = sockets.find((s) => s.id === run.starter) ?? sockets[0];
    const agentId = [...this.running.entries()].find(([, r]) => r === run)?.[0];
    if (!agentId) return;
    const record = readAgent(session.doc, agentId);
    if (!driver) {
      if (record && record.note !== WAITING) this.write(session, { ...record, note: WAITING });
      return;
    }
    pending.driver = driver.id;
    pending.timer = setTimeout(() => pending.timeout(), this.deps.limits.testAnswerMs);
    if (record && record.note !== 'running the tests') this.write(session, { ...record, note: 'running the tests' });
    driver.emit('agent:run', { agentId, round: pending.round, files: pending.files });
  }
}

export const WAITING = 'waiting for a browser of the session to run the tests';
