import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import type { Storage } from './storage';

export interface CopyReport {
  /** Sessions written to the target. */
  copied: number;
  /** Sessions the target already had, with the same content (a re-run). */
  alreadyThere: number;
  /** Share links written (hashes only, as stored). */
  links: number;
  /** Binary files (content-addressed blobs) written. */
  blobs: number;
  /** Sessions the target has with different content: left as they are, named here. */
  conflicts: string[];
}

/** A session's content, as one Yjs state, and its checksum (SHA-256 of that state). */
async function contentOf(storage: Storage, id: string): Promise<{ state: Uint8Array; checksum: string } | null> {
  const stored = await storage.docs.load(id);
  if (!stored) return null;
  const doc = new Y.Doc({ gc: true });
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const u of stored.updates) Y.applyUpdate(doc, u);
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return { state, checksum: createHash('sha256').update(state).digest('hex') };
}

/**
 * Copies every session (its row, its document — files, the AI thread with its turns, hunks
 * and checkpoints — and its last test run), every share link and every binary file (blob) from `from` to `to`, session
 * by session, each in one transaction; then reads each back from `to` and checks its checksum,
 * and compares the counts. A session already in `to` with the same content is skipped (so a
 * re-run after a failure finishes the job); one with different content is never overwritten,
 * only reported. `from` is only read.
 *
 * A document is written as one snapshot (its appended updates folded in): the content is the
 * same, the history of appends is not kept.
 */
export async function copyStorage(from: Storage, to: Storage, progress: (done: number, total: number) => void = () => {}): Promise<CopyReport> {
  const { rows: sessions } = await from.db.query<{ id: string; created_at: Date; owner_id: string | null; last_test_run: string | null }>(
    `SELECT id, created_at, owner_id, last_test_run FROM sessions ORDER BY created_at, id`,
  );
  const report: CopyReport = { copied: 0, alreadyThere: 0, links: 0, blobs: 0, conflicts: [] };
  const expected = new Map<string, string>();
  for (const [i, s] of sessions.entries()) {
    const content = await contentOf(from, s.id);
    if (!content) continue;
    const there = await contentOf(to, s.id);
    if (there) {
      if (there.checksum === content.checksum) report.alreadyThere++;
      else report.conflicts.push(s.id);
    } else {
      const { rows: links } = await from.db.query<{ role: string; token_hash: string; created_at: Date; revoked_at: Date | null }>(
        `SELECT role, token_hash, created_at, revoked_at FROM session_links WHERE session_id = $1 ORDER BY created_at`,
        [s.id],
      );
      await to.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO sessions (id, created_at, owner_id, last_test_run) VALUES ($1, $2, $3, $4)`, [s.id, s.created_at, s.owner_id, s.last_test_run]);
        await tx.query(`INSERT INTO doc_snapshots (session_id, upto_seq, state) VALUES ($1, 0, $2)`, [s.id, content.state]);
        for (const l of links) {
          await tx.query(`INSERT INTO session_links (session_id, role, token_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5)`, [
            s.id,
            l.role,
            l.token_hash,
            l.created_at,
            l.revoked_at,
          ]);
        }
      });
      report.copied++;
      report.links += links.length;
    }
    if (!report.conflicts.includes(s.id)) expected.set(s.id, content.checksum);
    progress(i + 1, sessions.length);
  }
  // Binary files of imported projects, content-addressed: copied when missing (a name is its content).
  const { rows: blobs } = await from.db.query<{ sha256: string }>(`SELECT sha256 FROM blobs ORDER BY sha256`);
  for (const { sha256 } of blobs) {
    const there = await to.db.query(`SELECT 1 FROM blobs WHERE sha256 = $1`, [sha256]);
    if (there.rows.length) continue;
    const { rows } = await from.db.query<{ size: number; bytes: Uint8Array; created_at: Date }>(`SELECT size, bytes, created_at FROM blobs WHERE sha256 = $1`, [sha256]);
    await to.db.query(`INSERT INTO blobs (sha256, size, bytes, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING`, [sha256, rows[0].size, rows[0].bytes, rows[0].created_at]);
    report.blobs++;
  }
  // Read back: every session copied (or already there) has the content it has in `from`.
  for (const [id, checksum] of expected) {
    const back = await contentOf(to, id);
    if (back?.checksum !== checksum) throw new Error(`verification failed: session ${id} differs in the target after the copy`);
  }
  // And the counts: as many sessions, and as many links per session, as in `from`.
  const linkCounts = async (s: Storage) =>
    new Map((await s.db.query<{ session_id: string; n: string | number }>(`SELECT session_id, count(*) AS n FROM session_links GROUP BY session_id`)).rows.map((r) => [r.session_id, Number(r.n)]));
  const [linksFrom, linksTo] = [await linkCounts(from), await linkCounts(to)];
  for (const id of expected.keys()) {
    if ((linksFrom.get(id) ?? 0) !== (linksTo.get(id) ?? 0)) throw new Error(`verification failed: session ${id} has ${linksTo.get(id) ?? 0} links in the target, ${linksFrom.get(id) ?? 0} in the source`);
  }
  return report;
}
