import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { readFile } from '@/lib/collab/workspace-doc';
import { startFlintProcess, type FlintProcess } from './flint-process';
import { EditingClient, linesIn } from './sessions/test-editing-client';
import { tempDataDir } from './storage/test-data-dir';
import { postgresTarget } from './storage/test-postgres';
import { closeClients, joinedClient, request } from './test-support';

/**
 * kill -9 at random moments: a client edits as fast as acknowledgements allow (several in
 * flight), the AI may be streaming, and Flint is SIGKILLed after a random number of
 * acknowledgements plus a random few milliseconds. After each restart every edit ever
 * acknowledged must be in the session, and the session must open and take edits again.
 * FLINT_CRASH_ROUNDS=50 runs more rounds; FLINT_CRASH_SEED replays a run.
 */
const ROUNDS = Number(process.env.FLINT_CRASH_ROUNDS ?? 5);
const SEED = Number(process.env.FLINT_CRASH_SEED ?? Date.now() % 1_000_000);

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const target of ['pglite', 'postgres'] as const) {
  describe(`a crash (kill -9) of the server, on ${target}`, { skip: target === 'postgres' && !process.env.DATABASE_URL ? 'DATABASE_URL is not set: the PostgreSQL run is skipped' : false }, () => {
    let flint: FlintProcess | undefined;
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      closeClients();
      await flint?.kill();
      for (const c of cleanups) await c();
    });

    it(`loses no acknowledged edit over ${ROUNDS} rounds (seed ${SEED})`, { timeout: 60_000 + ROUNDS * 30_000 }, async () => {
      const random = prng(SEED);
      let env: Record<string, string>;
      if (target === 'postgres') {
        const pg = await postgresTarget(process.env.DATABASE_URL!);
        cleanups.push(pg.drop);
        env = { DATABASE_URL: pg.url };
      } else {
        const dataDir = await tempDataDir('flint-crash-');
        cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
        env = { FLINT_DATA_DIR: dataDir };
      }
      const start = () => startFlintProcess({ ...env, FLINT_SIM_TPS: '2000' });
      flint = await start();
      const created = await joinedClient(flint.url);
      const sessionId = created.sessionId;
      closeClients();
      const everAcked: string[] = [];

      for (let round = 0; round < ROUNDS; round++) {
        const { socket, state } = await joinedClient(flint.url, sessionId);
        const before = new Y.Doc();
        Y.applyUpdate(before, state);
        const present = linesIn(readFile(before, 'src/cart.ts') ?? '');
        for (const line of everAcked) assert.ok(present.has(line), `round ${round}: acknowledged ${line} is missing after the restart (seed ${SEED})`);

        const client = new EditingClient(socket, state, `r${round}`);
        if (random() < 0.5) void request(socket, 'ai:prompt', { prompt: `round ${round}`, path: 'src/cart.ts', instant: random() < 0.5 }).catch(() => {});
        const killAfter = 1 + Math.floor(random() * 40);
        const inFlight = 1 + Math.floor(random() * 4);
        await new Promise<void>((resolve) => {
          let stop = false;
          const pump = () => {
            if (stop) return;
            client.edit(random).then(
              () => {
                if (!stop && client.acked.length >= killAfter) {
                  stop = true;
                  setTimeout(resolve, Math.floor(random() * 5));
                } else pump();
              },
              () => {},
            );
          };
          for (let i = 0; i < inFlight; i++) pump();
        });
        const ackedBeforeKill = [...client.acked];
        await flint.kill();
        // Acks that raced the kill count too: they were sent before the process died.
        everAcked.push(...new Set([...ackedBeforeKill, ...client.acked]));
        closeClients();
        flint = await start();
      }

      const { socket, state } = await joinedClient(flint.url, sessionId);
      const doc = new Y.Doc();
      Y.applyUpdate(doc, state);
      const present = linesIn(readFile(doc, 'src/cart.ts') ?? '');
      const missing = everAcked.filter((l) => !present.has(l));
      assert.deepEqual(missing, [], `acknowledged edits lost (seed ${SEED})`);
      assert.ok(everAcked.length >= ROUNDS, 'every round acknowledged at least one edit');
      // The session still takes edits.
      await new EditingClient(socket, state, 'final').edit();
      await flint.stop();
      assert.equal(flint.child.exitCode, 0, `clean stop:\n${flint.output().slice(-2000)}`);
      flint = undefined;
    });
  });
}
