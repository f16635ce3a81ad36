import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as Y from 'yjs';
import { AgentStartPayload, AgentResultPayload, CLIENT_EVENT_SCHEMAS, SERVER_EVENT_SCHEMAS, type AgentRecord } from './index';
import { readAgents, writeAgent, agentsOf } from '../collab/agents';

describe('agent events', () => {
  it('take 1, 2, 4 or 8 attempts and nothing else', () => {
    assert.equal(AgentStartPayload.parse({ prompt: ' go ', path: 'src/a.ts' }).attempts, 1);
    for (const n of [1, 2, 4, 8]) assert.ok(AgentStartPayload.safeParse({ prompt: 'x', path: 'a.ts', attempts: n }).success);
    for (const n of [0, 3, 16, 'four']) assert.equal(AgentStartPayload.safeParse({ prompt: 'x', path: 'a.ts', attempts: n }).success, false);
    assert.equal(AgentStartPayload.safeParse({ prompt: 'x', path: '../a.ts' }).success, false);
    assert.equal(AgentStartPayload.safeParse({ prompt: 'x', path: 'a.ts', extra: 1 }).success, false);
  });
  it('a round result carries a bounded test report', () => {
    const report = { runId: 'r', status: 'done', scope: { kind: 'all' }, files: [] };
    assert.ok(AgentResultPayload.safeParse({ agentId: 'a', round: 1, report }).success);
    assert.equal(AgentResultPayload.safeParse({ agentId: 'a', round: 0, report }).success, false);
    assert.equal(AgentResultPayload.safeParse({ agentId: 'a', round: 1, report: { ...report, status: 'bogus' } }).success, false);
  });
  it('are in the event tables', () => {
    for (const e of ['agent:start', 'agent:stop', 'agent:result', 'agent:open'] as const) assert.ok(CLIENT_EVENT_SCHEMAS[e]);
    assert.equal(SERVER_EVENT_SCHEMAS['agent:run'].safeParse({ agentId: 'a', round: 1, files: { 'a.ts': 'x' } }).success, true);
    assert.equal(SERVER_EVENT_SCHEMAS['agent:run'].safeParse({ agentId: 'a', round: 1 }).success, false);
  });
});

describe('agent records in the document', () => {
  const record = (id: string, startedAt: number): AgentRecord => ({
    id, group: 'g', attempt: 1, attempts: 1, prompt: 'p', path: 'a.ts', mode: 'instant', status: 'running', round: 1, maxRounds: 5,
    passed: null, total: null, tokens: 0, temperature: null, startedAt, endedAt: null, note: null, reason: null, refused: [], diffLines: 0, changes: [], openedTurn: null,
  });
  it('round-trip, oldest first, and a value a client forged is ignored', () => {
    const doc = new Y.Doc();
    writeAgent(doc, record('b', 2));
    writeAgent(doc, record('a', 1));
    agentsOf(doc).set('forged', JSON.stringify({ id: 'forged', status: 'passed' }));
    agentsOf(doc).set('junk', '{not json');
    assert.deepEqual(readAgents(doc).map((r) => r.id), ['a', 'b']);
  });
});
