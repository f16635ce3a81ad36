import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import * as Y from 'yjs';
import { readThread, type TurnRecord } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';
import { startFlintProcess, type FlintProcess } from '../support/flint-process';
import { EditingClient, linesIn, closeClients, joinedClient, nextEvent, request, type TestClient } from '../support/protocol-client';
import { tempDataDir } from '../support/data-dir';
import { postgresSkip, postgresTarget } from '../support/postgres';
import { ORPHAN_TURN_ERROR } from '@/server/ai/orphan-turns';
import { SIZES, runSeed } from './profile';
import { int, pick, prng } from './random';
import { recordFigures } from './report';

/**
 * kill -9 at random moments, SIZES.crashRounds times (FLINT_CRASH_ROUNDS; FLINT_SEED replays a
 * run). Two sessions, two clients each, editing as fast as acknowledgements allow (several
 * edits in flight). Rounds alternate: an *editing* round kills after a random number of
 * acknowledgements plus a few milliseconds (an AI turn with the simulator's one-hunk answer may
 * be running too); an *AI* round has both sessions stream a scripted answer whose hunks land in
 * the file one after another, and kills at a random moment while they stream.
 *
 * After every restart, in each session:
 * - every edit a client saw acknowledged is in the file;
 * - everything a client had when it sent an edit that was then acknowledged (its state vector:
 *   the other client's edits and the AI's hunks it had received) is on the server — the server
 *   stores before it broadcasts, and stores in order;
 * - the AI's writes are whole: a hunk marked accepted has its text in the file, and the file has
 *   no AI text without its accepted hunk (a broadcast write may be lost, never half of one);
 * - no turn is left `streaming`: a turn the kill cut short is ended, as an error that says why;
 * - the session opens and takes edits again. The second client of each session behaves like a
 *   browser tab that stayed open: it keeps its document and sends what the server lacks.
 */
const ROUNDS = SIZES.crashRounds;
const SEED = runSeed();
const SESSIONS = 2;
const FILE = 'src/cart.ts';
/** An edit line of the test clients (`s0r3a:12`) and an AI marker line (`// ai:s0r3:2`). */
const EDIT_LINE = /^s\d+r\d+[ab]:\d+$/;
const MARKER = /^\s*\/\/ ai:(s\d+r\d+):\d+$/;

interface Tracked {
  id: string;
  /** Every edit line acknowledged so far. */
  acked: string[];
  /** Client id → clock: the union of the state vectors of acknowledged sends. */
  covered: Map<number, number>;
  /** The open tab: its document survives the restarts. */
  tab: Y.Doc;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

for (const target of ['pglite', 'postgres'] as const) {
  describe(`a crash (kill -9) of the server, on ${target}`, { skip: target === 'postgres' && postgresSkip('the PostgreSQL run of the crash suite') }, () => {
    let flint: FlintProcess | undefined;
    const cleanups: Array<() => Promise<void>> = [];
    after(async () => {
      closeClients();
      await flint?.kill();
      for (const c of cleanups) await c();
    });

    it(`loses no acknowledged edit and leaves no turn streaming over ${ROUNDS} rounds (seed ${SEED})`, { timeout: 120_000 + ROUNDS * 30_000 }, async () => {
      const random = prng(SEED);
      const replay = `(replay: FLINT_SEED=${SEED})`;
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
      const startMs: number[] = [];
      const start = async () => {
        const t0 = performance.now();
        const p = await startFlintProcess({ ...env, FLINT_SIM_TPS: '2000' });
        startMs.push(performance.now() - t0);
        return p;
      };
      const simUrl = () => /fast-tier simulator on (http:\/\/[\d.]+:\d+)/.exec(flint!.output())![1];
      const begun = performance.now();
      flint = await start();

      const sessions: Tracked[] = [];
      for (let s = 0; s < SESSIONS; s++) {
        const { sessionId, state } = await joinedClient(flint.url);
        const tab = new Y.Doc();
        Y.applyUpdate(tab, state);
        sessions.push({ id: sessionId, acked: [], covered: new Map(), tab });
      }
      closeClients();

      let aiRounds = 0;
      let killedMidTurn = 0;
      let killedAfterHunks = 0;
      let checkedEdits = 0;

      /** The state after a restart, checked; then the session's two clients for the round. */
      const reopen = async (t: Tracked, round: number) => {
        const s = sessions.indexOf(t);
        const joined = await joinedClient(flint!.url, t.id);
        const a = new EditingClient(joined.socket, joined.state, `s${s}r${round}a`);
        const doc = new Y.Doc();
        Y.applyUpdate(doc, joined.state);
        check(doc, t, `round ${round}, session ${s}`);
        const b = await joinedClient(flint!.url, t.id);
        // The open tab: what it has and the server lacks goes back (as session-runtime's connect() does).
        Y.applyUpdate(t.tab, b.state);
        const tab = new EditingClient(b.socket, Y.encodeStateAsUpdate(t.tab), `s${s}r${round}b`);
        const missing = Y.encodeStateAsUpdate(tab.doc, Y.encodeStateVectorFromUpdate(b.state));
        if (missing.byteLength > 2) {
          const sv = Y.decodeStateVector(Y.encodeStateVector(tab.doc));
          await tab.send(missing);
          cover(t, sv);
        }
        return { a, b: tab };
      };

      const cover = (t: Tracked, sv: Map<number, number>) => {
        for (const [client, clock] of sv) t.covered.set(client, Math.max(t.covered.get(client) ?? 0, clock));
      };
      const orphans = new Map<string, number>();
      const check = (doc: Y.Doc, t: Tracked, where: string) => {
        const text = readFile(doc, FILE) ?? '';
        const present = linesIn(text);
        const lost = t.acked.filter((l) => !present.has(l));
        assert.deepEqual(lost, [], `${where}: acknowledged edits lost ${replay}`);
        checkedEdits += t.acked.length;
        const sv = Y.decodeStateVector(Y.encodeStateVector(doc));
        for (const [client, clock] of t.covered) {
          assert.ok((sv.get(client) ?? 0) >= clock, `${where}: the server lacks what a client had when it sent an acknowledged edit (client ${client}: ${sv.get(client) ?? 0} < ${clock}) ${replay}`);
        }
        const turns = readThread(doc);
        const stuck = turns.filter((x) => x.status === 'streaming');
        assert.deepEqual(stuck.map((x) => x.id), [], `${where}: turns left streaming after the restart ${replay}`);
        orphans.set(t.id, turns.filter((x) => x.error === ORPHAN_TURN_ERROR).length);
        // The AI's writes are whole: accepted hunk ⇔ its marker line in the file.
        const accepted = new Set(turns.flatMap((x: TurnRecord) => x.hunks.filter((h) => h.status === 'accepted').map((h) => marker(h.replace))).filter(Boolean));
        const inFile = new Set(text.split('\n').filter((l) => MARKER.test(l)).map((l) => l.trim()));
        assert.deepEqual([...inFile].filter((m) => !accepted.has(m)), [], `${where}: AI text in the file without its accepted hunk ${replay}`);
        assert.deepEqual([...accepted].filter((m) => !inFile.has(m!)), [], `${where}: accepted hunks whose text is not in the file ${replay}`);
      };

      const roundMs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const r0 = performance.now();
        const clients = [];
        for (const t of sessions) clients.push({ t, ...(await reopen(t, round)) });
        const aiRound = round % 2 === 1;
        if (aiRound) aiRounds++;

        // A turn in flight: started and not ended, as the watching client sees it.
        const inFlight = new Set<string>();
        for (const { b } of clients) {
          const sock = b.socket as TestClient;
          sock.on('ai:start', (e) => inFlight.add(e.streamId));
          sock.on('ai:end', (e) => inFlight.delete(e.streamId));
        }
        const prompts: Promise<unknown>[] = [];
        for (const [i, { a }] of clients.entries()) {
          const tag = `s${i}r${round}`;
          if (aiRound) {
            const text = scriptedAnswer(a.text(), tag, random);
            await fetch(`${simUrl()}/_sim/rules`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ match: tag, text, tokensPerSecond: 400, times: 1 }),
            });
          }
          if (aiRound || random() < 0.5) {
            prompts.push(request(a.socket, 'ai:prompt', { prompt: `change ${tag}`, path: FILE, autoApply: random() < 0.6 }).catch(() => {}));
          }
        }

        // Everyone edits, several edits in flight each; each acknowledged send records what its client had.
        let stop = false;
        const firstAck: Promise<void>[] = [];
        for (const { t, a, b } of clients) {
          for (const c of [a, b]) {
            let acked!: () => void;
            firstAck.push(new Promise<void>((r) => (acked = r)));
            const pump = () => {
              if (stop) return;
              const sent = c.edit(random);
              const sv = Y.decodeStateVector(Y.encodeStateVector(c.doc));
              sent.then(
                () => {
                  cover(t, sv);
                  acked();
                  pump();
                },
                () => {},
              );
            };
            for (let k = int(random, 1, 3); k > 0; k--) pump();
          }
        }

        if (aiRound) {
          // A random moment while the turns stream (each takes ≈1.5 s at 400 tok/s), after every client's first ack.
          await Promise.all(prompts);
          await Promise.all(clients.map(({ b }) => nextEvent(b.socket, 'ai:delta', () => true, 20_000)));
          await Promise.all(firstAck);
          await new Promise((r) => setTimeout(r, int(random, 0, 1200)));
        } else {
          const killAfter = int(random, 1, 40);
          const first = clients[0].a;
          await Promise.all(firstAck);
          while (first.acked.length < killAfter) await new Promise((r) => setTimeout(r, 1));
          await new Promise((r) => setTimeout(r, int(random, 0, 5)));
        }
        if (inFlight.size) killedMidTurn++;
        if (clients.some(({ b }) => readThread(b.doc).some((x) => x.status === 'streaming' && x.hunks.length > 0))) killedAfterHunks++;
        stop = true;
        await flint.kill();
        // Acks that raced the kill count too: they were sent before the process died.
        for (const { t, a, b } of clients) {
          t.acked.push(...a.acked, ...b.acked);
          // The open tab keeps everything it saw.
          Y.applyUpdate(t.tab, Y.encodeStateAsUpdate(b.doc));
        }
        closeClients();
        flint = await start();
        roundMs.push(performance.now() - r0);
      }

      // After the last restart: everything is there, and the sessions work — edits and a whole AI turn.
      for (const [i, t] of sessions.entries()) {
        const { a } = await reopen(t, ROUNDS);
        await a.edit(random);
        const r = await request<{ streamId: string }>(a.socket, 'ai:prompt', { prompt: `after the crashes s${i}`, path: FILE, autoApply: true });
        assert.ok(r.ok, `a prompt after the restarts ${replay}`);
        const [end] = await nextEvent(a.socket, 'ai:end', (e) => e.streamId === r.data.streamId, 20_000);
        assert.equal(end.status, 'done', `a turn after the restarts ends done ${replay}`);
      }
      const total = sessions.reduce((n, t) => n + t.acked.length, 0);
      assert.ok(sessions.every((t) => t.acked.length >= ROUNDS), `every round acknowledged edits in every session ${replay}`);
      if (aiRounds > 0) assert.ok(killedMidTurn > 0, `a kill landed while an AI turn was streaming ${replay}`);
      await flint.stop();
      assert.equal(flint.child.exitCode, 0, `clean stop:\n${flint.output().slice(-2000)}`);
      flint = undefined;

      recordFigures(`crash (kill -9, ${target})`, {
        seed: SEED,
        rounds: ROUNDS,
        sessions: SESSIONS,
        aiRounds,
        killedMidTurn,
        killedAfterHunks,
        orphanTurnsEnded: [...orphans.values()].reduce((n, k) => n + k, 0),
        editsAcked: total,
        ackedEditsChecked: checkedEdits,
        msPerRoundMedian: Math.round(median(roundMs)),
        processStartMsMedian: Math.round(median(startMs)),
        seconds: Math.round((performance.now() - begun) / 1000),
      });
    });
  });
}

/** The marker line of an AI hunk's replacement (`// ai:s0r3:2`), or null. */
function marker(replace: string): string | null {
  return replace.split('\n').find((l) => MARKER.test(l))?.trim() ?? null;
}

/**
 * An answer of six blocks with prose between them, so its hunks land one after another as it
 * streams: each puts a marker line above a line that occurs once in the file (lines of the test
 * clients and earlier markers excluded, so concurrent edits — whole lines inserted at line
 * starts — never break its SEARCH).
 */
function scriptedAnswer(text: string, tag: string, random: () => number): string {
  const lines = text.split('\n');
  const count = new Map<string, number>();
  for (const l of lines) count.set(l, (count.get(l) ?? 0) + 1);
  const usable = [...new Set(lines.filter((l) => /\S/.test(l) && count.get(l) === 1 && !EDIT_LINE.test(l) && !MARKER.test(l)))];
  const chosen: string[] = [];
  while (chosen.length < 6 && usable.length) chosen.push(usable.splice(Math.floor(random() * usable.length), 1)[0]);
  const prose = (k: number) => `Step ${k}: ${pick(random, ['this keeps the cart consistent', 'a note for the reviewer', 'the next change follows'])}, as discussed above in some detail.\n\n`;
  return chosen
    .map((line, k) => `${prose(k)}${FILE}\n<<<<<<< SEARCH\n${line}\n=======\n// ai:${tag}:${k}\n${line}\n>>>>>>> REPLACE\n\n`)
    .join('');
}
