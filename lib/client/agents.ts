'use client';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type * as Y from 'yjs';
import { protocolError, type AgentRecord, type AgentRunEvent, type ProtocolError, type Response, type TierName } from '@/lib/protocol';
import { agentsOf, readAgents } from '@/lib/collab/agents';
import { loadEsbuild } from '@/lib/sandbox/bundler';
import { runTestsOn } from '@/lib/sandbox/run-files';
import { SandboxClient } from '@/lib/sandbox/sandbox-client';
import type { FlintSocket } from './connection';

export interface AgentsState {
  /** Every agent of the session, oldest first (the `agents` map of the document). */
  agents: AgentRecord[];
}

/**
 * The browser's side of background agents (server/agents/CONTEXT.md): the session's agents
 * from the document into a small store; start / stop / open as requests; and, when the server
 * picks this tab to run an agent's round (`agent:run`), the tests run on the agent's files in a
 * sandbox of its own (created on the first such run, so a user's own test run and an agent's
 * never cancel each other), one run at a time, answered with `agent:result`.
 */
export class AgentsClient {
  readonly store: StoreApi<AgentsState>;
  private sandbox: SandboxClient | null = null;
  private queue: Promise<void> = Promise.resolve();
  private runSeq = 0;
  private readonly off: Array<() => void> = [];

  constructor(
    private readonly doc: Y.Doc,
    private readonly socket: FlintSocket,
    /** Where the agents' sandbox iframe goes, and FLINT_SANDBOX_ORIGIN (null when unset). */
    private readonly sandboxHost: () => { container: HTMLElement; origin: string | null } | null,
  ) {
    this.store = createStore<AgentsState>(() => ({ agents: readAgents(doc) }));
    const map = agentsOf(doc);
    const refresh = () => this.store.setState({ agents: readAgents(doc) });
    map.observe(refresh);
    this.off.push(() => map.unobserve(refresh));
    const onRun = (ev: AgentRunEvent) => {
      this.queue = this.queue.then(() => this.run(ev)).catch((err) => console.warn('[flint] an agent test run failed', err));
    };
    socket.on('agent:run', onRun);
    this.off.push(() => socket.off('agent:run', onRun));
  }

  start(prompt: string, path: string, mode: TierName, attempts: 1 | 2 | 4 | 8): Promise<Response<{ agentIds: string[] }>> {
    // This tab drives the agent's rounds while it is here: start its sandbox and the bundler now,
    // while the model answers round 1, not after.
    this.ensureSandbox();
    void loadEsbuild().catch(() => undefined);
    return this.request((ack) => this.socket.emit('agent:start', { prompt, path, mode, attempts }, ack));
  }

  stop(agentId: string): Promise<Response<Record<string, never>>> {
    return this.request((ack) => this.socket.emit('agent:stop', { agentId }, ack));
  }

  /** Its change as a review turn against the current files (three-way merged on the server). */
  open(agentId: string): Promise<Response<{ turnId: string }>> {
    return this.request((ack) => this.socket.emit('agent:open', { agentId }, ack));
  }

  private request<T>(send: (ack: (r: Response<T>) => void) => void): Promise<Response<T>> {
    if (!this.socket.connected) return Promise.resolve({ ok: false, error: protocolError('notJoined', 'Not connected to the server. Reconnecting…') as ProtocolError });
    return new Promise((resolve) => send(resolve));
  }

  private async run(ev: AgentRunEvent): Promise<void> {
    const sandbox = this.ensureSandbox();
    if (!sandbox) return; // not mounted: the server sends the run elsewhere when this tab leaves
    const report = await runTestsOn(sandbox, new Map(Object.entries(ev.files)), `agent-${ev.round}-${(++this.runSeq).toString(36)}`);
    if (!this.socket.connected) return;
    this.socket.emit('agent:result', { agentId: ev.agentId, round: ev.round, report }, (r) => {
      if (!r.ok) console.warn('[flint] agent:result was refused:', r.error.message);
    });
  }

  private ensureSandbox(): SandboxClient | null {
    if (this.sandbox) return this.sandbox;
    const host = this.sandboxHost();
    if (host) this.sandbox = new SandboxClient(host.container, host.origin, 'agent-sandbox');
    return this.sandbox;
  }

  dispose(): void {
    for (const off of this.off) off();
    this.sandbox?.dispose();
    this.sandbox = null;
  }
}

/** Attempts ranked as the comparison shows them: most tests passed, then fewest failing, smallest diff, fewest tokens. */
export function rankAttempts(agents: AgentRecord[]): AgentRecord[] {
  return [...agents].sort(
    (a, b) =>
      (b.passed ?? -1) - (a.passed ?? -1) ||
      (a.total ?? 0) - (a.passed ?? 0) - ((b.total ?? 0) - (b.passed ?? 0)) ||
      a.diffLines - b.diffLines ||
      a.tokens - b.tokens ||
      a.attempt - b.attempt,
  );
}
