import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentRunEvent, TestsResultPayload } from '@/lib/protocol';
import { readAgent } from '@/lib/collab/agents';
import { readThread } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { startTestServer, type TestServer } from '@/test/support/test-server';
import { closeClients, joinedClient, nextEvent, request } from '@/test/support/protocol-client';

const PATH = 'src/cart.ts';
const RIGHT = '    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0);\n';
const CHANGED = '    return this.items.reduce((sum, i) => sum + i.price * i.quantity, 0); // agent\n';
const answer = `Marking it.\n\n${PATH}\n<<<<<<< SEARCH\n${RIGHT}=======\n${CHANGED}>>>>>>> REPLACE\n`;

function report(ok: boolean): TestsResultPayload {
  return {
    runId: 'r',
    status: 'done',
    scope: { kind: 'all' },
    files: [{ path: 'src/cart.test.ts', tests: [{ id: '0', name: ['Cart', 'adds'], status: ok ? 'passed' : 'failed', durationMs: 1, ...(ok ? {} : { error: { message: 'nope' } }) }], errors: [], console: [], consoleDropped: 0 }],
  };
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  closeClients();
  await server.close();
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await sleep(25);
  assert.ok(check(), what);
}

describe('agent service over the protocol', () => {
  it('runs on a copy: the browser gets the copy to test, the session file is unchanged, open makes a review turn', async () => {
    const marker = `svc-${Math.random().toString(36).slice(2)}`;
    server.sim.addRule({ match: marker, text: answer, times: 1 });
    const a = await joinedClient(server.url);
    const run = nextEvent(a.socket, 'agent:run');
    const started = await request<{ agentIds: string[] }>(a.socket, 'agent:start', { prompt: `mark the total ${marker}`, path: PATH });
    assert.ok(started.ok);
    const [ev] = (await run) as [AgentRunEvent];
    assert.equal(ev.round, 1);
    assert.equal(ev.files[PATH].includes('// agent'), true, 'the browser tests the agent’s copy');
    const session = server.app.sessions.loaded(a.sessionId)!;
    assert.equal(readFile(session.doc, PATH)!.includes('// agent'), false, 'the session’s file is untouched');

    // Only the browser that was asked may answer, and only for the round it was asked.
    const b = await joinedClient(server.url, a.sessionId);
    const wrong = await request(b.socket, 'agent:result', { agentId: ev.agentId, round: 1, report: report(true) });
    assert.equal(wrong.ok, false);
    assert.ok((await request(a.socket, 'agent:result', { agentId: ev.agentId, round: 1, report: report(true) })).ok);
    await until(() => readAgent(session.doc, ev.agentId)?.status === 'passed', 'the agent passed');
    assert.deepEqual([readAgent(session.doc, ev.agentId)!.passed, readAgent(session.doc, ev.agentId)!.total], [1, 1]);

    const opened = await request<{ turnId: string }>(a.socket, 'agent:open', { agentId: ev.agentId });
    assert.ok(opened.ok);
    const turn = readThread(session.doc).find((t) => t.id === opened.data.turnId)!;
    assert.equal(turn.hunks.length, 1);
    assert.equal(turn.hunks[0].matchedAtProposal, true);
    assert.equal(readFile(session.doc, PATH)!.includes('// agent'), false, 'still untouched until accepted');
  });

  it('with no browser of the session connected it waits and says so, then runs in the next one that joins', async () => {
    const marker = `wait-${Math.random().toString(36).slice(2)}`;
    server.sim.addRule({ match: marker, text: answer, ttftMs: 300, times: 1 });
    const a = await joinedClient(server.url);
    const started = await request<{ agentIds: string[] }>(a.socket, 'agent:start', { prompt: `mark ${marker}`, path: PATH });
    assert.ok(started.ok);
    const id = started.data.agentIds[0];
    a.socket.disconnect();
    const session = server.app.sessions.loaded(a.sessionId)!;
    await until(() => /waiting for a browser/.test(readAgent(session.doc, id)?.note ?? ''), 'the agent says it waits');
    const b = await joinedClient(server.url, a.sessionId);
    const [ev] = (await nextEvent(b.socket, 'agent:run')) as [AgentRunEvent];
    assert.equal(ev.agentId, id);
    assert.ok((await request(b.socket, 'agent:result', { agentId: id, round: 1, report: report(true) })).ok);
    await until(() => readAgent(session.doc, id)?.status === 'passed', 'the agent passed');
  });

  it('refuses a bad payload with a typed error and an unknown agent with agentNotFound', async () => {
    const a = await joinedClient(server.url);
    const bad = await request(a.socket, 'agent:start', { prompt: 'x', path: PATH, attempts: 3 });
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, 'badRequest');
    const unknown = await request(a.socket, 'agent:stop', { agentId: 'nope' });
    assert.equal(!unknown.ok && unknown.error.code, 'agentNotFound');
  });
});
