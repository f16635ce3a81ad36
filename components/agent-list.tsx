'use client';
import { useEffect, useRef, useState, useSyncExternalStore, type RefObject } from 'react';
import { useStore } from 'zustand';
import { ATTEMPT_COUNTS, type AgentRecord, type TierName } from '@/lib/protocol';
import { getSocket } from '@/lib/client/connection';
import { AgentsClient, rankAttempts, type AgentsState } from '@/lib/client/agents';
import type { SessionRuntime } from '@/lib/client/session-runtime';
import { useIdeStore, useRuntime } from './session-provider';
import styles from './agent-list.module.css';

// The agents client of each session page, made by <AgentList> (which owns its lifetime) and
// read by the prompt's background button, a sibling of the list.
const clients = new Map<SessionRuntime, AgentsClient>();
const listeners = new Set<() => void>();
function publish() {
  for (const l of listeners) l();
}
function useAgentsClient(runtime: SessionRuntime): AgentsClient | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => clients.get(runtime) ?? null,
    () => null,
  );
}

const EMPTY: AgentsState = { agents: [] };
function useAgents(client: AgentsClient | null): AgentRecord[] {
  const fallback = useRef(createNullStore()).current;
  return useStore(client?.store ?? fallback, (s) => s.agents);
}
function createNullStore() {
  return { getState: () => EMPTY, getInitialState: () => EMPTY, setState: () => {}, subscribe: () => () => {} };
}

/**
 * `prompt-background` and `attempts-select`, beside the prompt's submit: the prompt goes to
 * background agents (as many attempts as chosen) instead of the live turn.
 */
export function BackgroundButton({ input, path, mode, disabled }: { input: RefObject<HTMLTextAreaElement | null>; path: string | null; mode: TierName; disabled: boolean }) {
  const runtime = useRuntime();
  const client = useAgentsClient(runtime);
  const [attempts, setAttempts] = useState<1 | 2 | 4 | 8>(1);
  async function send() {
    const text = input.current?.value.trim();
    if (!text || !path || !client) return;
    const r = await client.start(text, path, mode, attempts);
    if (!r.ok) runtime.showError(r.error);
    else if (input.current) input.current.value = '';
  }
  return (
    <>
      <select
        data-testid="attempts-select"
        aria-label="Parallel attempts"
        title="How many independent attempts run in the background"
        value={attempts}
        onChange={(e) => setAttempts(Number(e.target.value) as 1 | 2 | 4 | 8)}
      >
        {ATTEMPT_COUNTS.map((n) => (
          <option key={n} value={n}>
            {n === 1 ? '1 attempt' : `${n} attempts`}
          </option>
        ))}
      </select>
      <button data-testid="prompt-background" onClick={() => void send()} disabled={disabled || !client} title="Run in the background: an agent edits a copy and runs the tests until they pass">
        Background
      </button>
    </>
  );
}

/**
 * The session's background agents (`agent-list`): each one's status, round, last test result
 * and tokens, stop and open; the attempts of one prompt side by side (`attempt-compare`),
 * ranked by tests passed. Owns the page's `AgentsClient` (and so the agents' sandbox).
 */
export function AgentList({ sandboxOrigin = null }: { sandboxOrigin?: string | null }) {
  const runtime = useRuntime();
  const canEdit = useIdeStore((s) => s.role === 'owner' || s.role === 'editor');
  const hostRef = useRef<HTMLDivElement>(null);
  const client = useAgentsClient(runtime);
  const agents = useAgents(client);

  useEffect(() => {
    const c = new AgentsClient(runtime.doc, getSocket(), () => (hostRef.current ? { container: hostRef.current, origin: sandboxOrigin } : null));
    clients.set(runtime, c);
    publish();
    return () => {
      clients.delete(runtime);
      publish();
      c.dispose();
    };
  }, [runtime, sandboxOrigin]);

  async function act(what: 'stop' | 'open', id: string) {
    if (!client) return;
    const r = what === 'stop' ? await client.stop(id) : await client.open(id);
    if (!r.ok) runtime.showError(r.error);
  }

  const groups = new Map<string, AgentRecord[]>();
  for (const a of agents) (groups.get(a.group) ?? groups.set(a.group, []).get(a.group)!).push(a);

  return (
    <section className={styles.panel} aria-label="Background agents">
      <div ref={hostRef} className={styles.sandboxHost} />
      {agents.length > 0 && (
        <>
          <h2>Agents</h2>
          <ul data-testid="agent-list" className={styles.list}>
            {agents.map((a) => (
              <li key={a.id} data-testid="agent" data-agent-id={a.id} data-status={a.status} data-round={a.round} className={styles.agent}>
                <div className={styles.head}>
                  <span className={styles[a.status]} data-testid="agent-status">
                    {a.status}
                  </span>
                  <span className={styles.prompt} title={a.prompt}>
                    {a.attempts > 1 ? `#${a.attempt} ` : ''}
                    {a.prompt}
                  </span>
                </div>
                <div className={styles.meta}>
                  <span data-testid="agent-round">
                    round {a.round}/{a.maxRounds}
                  </span>
                  <span data-testid="agent-tests">{a.total === null ? 'no test run yet' : `${a.passed}/${a.total} tests passed`}</span>
                  <span data-testid="agent-tokens">{a.tokens} tokens</span>
                </div>
                {a.note && (
                  <p className={styles.note} data-testid="agent-note">
                    {a.note}
                  </p>
                )}
                {a.reason && (
                  <p className={styles.reason} data-testid="agent-reason">
                    {a.reason}
                  </p>
                )}
                {a.refused.length > 0 && (
                  <p className={styles.refused} data-testid="agent-refused">
                    Refused edits to test files: {a.refused.join(', ')}
                  </p>
                )}
                {canEdit && (
                  <div className={styles.actions}>
                    {a.status === 'running' ? (
                      <button data-testid="agent-stop" onClick={() => void act('stop', a.id)}>
                        Stop
                      </button>
                    ) : (
                      <button data-testid="agent-open" onClick={() => void act('open', a.id)} disabled={a.changes.length === 0} title="Open its change as a review against your current files">
                        {a.openedTurn ? 'Open again' : 'Open'}
                      </button>
                    )}
                  </div>
                )}
              </li>
            ))}
          </ul>
          {[...groups.values()]
            .filter((g) => g.length > 1)
            .map((g) => (
              <AttemptCompare key={g[0].group} attempts={g} canEdit={canEdit} onPick={(id) => void act('open', id)} />
            ))}
        </>
      )}
    </section>
  );
}

function AttemptCompare({ attempts, canEdit, onPick }: { attempts: AgentRecord[]; canEdit: boolean; onPick: (id: string) => void }) {
  const ranked = rankAttempts(attempts);
  return (
    <table data-testid="attempt-compare" className={styles.compare}>
      <caption>{attempts[0].prompt} — attempts ranked by tests passed</caption>
      <thead>
        <tr>
          <th>#</th>
          <th>Tests</th>
          <th>Diff</th>
          <th>Tokens</th>
          <th>Time</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {ranked.map((a) => (
          <tr key={a.id} data-testid="attempt" data-agent-id={a.id} data-attempt={a.attempt} data-status={a.status} data-tests-passed={a.passed ?? 0} data-tests-total={a.total ?? 0}>
            <td>{a.attempt}</td>
            <td>{a.total === null ? '—' : `${a.passed}/${a.total}`}</td>
            <td>{a.diffLines} lines</td>
            <td>{a.tokens}</td>
            <td>{a.endedAt ? `${((a.endedAt - a.startedAt) / 1000).toFixed(1)} s` : a.status}</td>
            <td>
              {canEdit && (
                <button data-testid="attempt-pick" disabled={a.status === 'running' || a.changes.length === 0} onClick={() => onPick(a.id)}>
                  Pick
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
