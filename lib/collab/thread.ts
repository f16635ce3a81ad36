import * as Y from 'yjs';
import { applyBlock, type ApplyMatch, type ApplyResult, type FailureReason } from '@/lib/edits/apply';
import { describeFailure, type BlockFailure, type ClosestLines } from '@/lib/edits/report';
import { filesOf, readFile, wellFormed } from './workspace-doc';

/**
 * The session's AI thread, kept in the same Yjs document as the files so that everyone in the
 * session sees the same turns, proposals, review state and checkpoints, and they persist with it.
 *
 * `turns`: Y.Array<Y.Map> in order. A turn map holds plain fields (see `TurnRecord`) plus
 * `hunks`: Y.Array<Y.Map> and `checkpoint`: Y.Map<string | null>.
 * `restores`: Y.Map<restoreId, Y.Map> — what a checkpoint restore replaced, so it can be undone.
 *
 * Writers: the server creates turns, adds hunks as blocks close, records checkpoints as a block
 * first touches a file, and finishes turns. Clients change hunk status (accept / reject) and
 * restore checkpoints. File text is only ever changed together with the status that explains it.
 */

export type TurnStatus = 'streaming' | 'done' | 'interrupted' | 'error';
/** Stored review state. "conflict" is never stored: it is derived from the current text (`placeHunk`). */
export type HunkStatus = 'pending' | 'accepted' | 'rejected';

export interface HunkRecord {
  /** `<turnId>:<index>`, stable for the turn's life. */
  id: string;
  index: number;
  path: string;
  search: string;
  replace: string;
  status: HunkStatus;
  /** Whether SEARCH could be placed in the file when the block closed. */
  matchedAtProposal: boolean;
  /**
   * The reviewer's choice for a SEARCH that matches several places: candidate `index` of `of`
   * (lib/edits/apply.ts rule 6). Absent until someone picks; honoured only while it still matches `of` places.
   */
  pick?: HunkPick | null;
  /** The turn that re-asked the model about this failed hunk (absent until then). */
  retriedBy?: string | null;
}

export interface HunkPick {
  index: number;
  of: number;
}

export interface TurnRecord {
  id: string;
  prompt: string;
  mode: string;
  /** The file open when the prompt was sent. */
  path: string;
  /** Hunks were applied as their blocks closed (`autoApply`, "Apply as it streams"). */
  autoApply: boolean;
  status: TurnStatus;
  /** The model's whole answer (prose and blocks); written when the turn ends. */
  response: string;
  error: string | null;
  /** A block that was still streaming when the turn stopped: never applied. */
  dropped: { path: string | null; chars: number } | null;
  createdAt: number;
  /** File → its text just before this turn first changed it (`null`: the file did not exist). */
  checkpoint: Record<string, string | null>;
  hunks: HunkRecord[];
  /** Set while a restore to before this turn or an earlier one is in effect. */
  revertedBy: string | null;
  /** This turn re-asked the model about the failed blocks of turn `retryOf` (absent on older turns). */
  retryOf?: string | null;
  /**
   * Closed or broken blocks that could not become a hunk (absent on older turns): `malformed` (a
   * close marker before the divider), `noFile` (no usable workspace path). Shown as failed.
   */
  failedBlocks?: FailedBlock[];
  /** The retry turn that re-asked the model about `failedBlocks`. */
  failedBlocksRetriedBy?: string | null;
}

export interface FailedBlock {
  index: number;
  path: string | null;
  reason: 'malformed' | 'noFile';
  search: string;
  /** Null when the block never reached its divider. */
  replace: string | null;
}

/** Failed blocks kept per turn, and the text kept of each section (the answer has the rest). */
export const MAX_FAILED_BLOCKS = 20;
const MAX_FAILED_BLOCK_CHARS = 4_000;

export interface RestoreRecord {
  id: string;
  turnId: string;
  at: number;
  /** The files as they were right before the restore (`null`: missing). */
  files: Record<string, string | null>;
  /** Hunk id → status before the restore, for the hunks it rejected. */
  hunks: Record<string, HunkStatus>;
  undone: boolean;
}

type YTurn = Y.Map<unknown>;

export function turnsOf(doc: Y.Doc): Y.Array<YTurn> {
  return doc.getArray<YTurn>('turns');
}

export function restoresOf(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>('restores');
}

/** A plain snapshot of the thread, oldest turn first. */
export function readThread(doc: Y.Doc): TurnRecord[] {
  return turnList(doc).map(turnRecord);
}

/**
 * The last `n` turns for which `keep` holds, oldest first — what `readThread(doc).filter(keep)
 * .slice(-n)` returns, converting only those turns: a prompt's context needs a few recent turns,
 * not the whole thread (each with its checkpoint files) on its way upstream.
 */
export function readRecentTurns(doc: Y.Doc, n: number, keep: (t: TurnRecord) => boolean): TurnRecord[] {
  const all = turnList(doc);
  const out: TurnRecord[] = [];
  for (let i = all.length - 1; i >= 0 && out.length < n; i--) {
    const t = turnRecord(all[i]);
    if (keep(t)) out.push(t);
  }
  return out.reverse();
}

function turnRecord(t: YTurn): TurnRecord {
  const checkpoint = t.get('checkpoint');
  const json = t.toJSON() as TurnRecord & { instant?: boolean };
  return {
    ...json,
    // Turns stored before protocol 3 named this flag `instant`.
    autoApply: json.autoApply ?? json.instant === true,
    hunks: hunkList(t).map((h) => h.toJSON() as HunkRecord),
    failedBlocks: failedBlocksOf(t),
    checkpoint: checkpoint instanceof Y.Map ? (checkpoint.toJSON() as TurnRecord['checkpoint']) : {},
  };
}

/**
 * The turns that have the shape this module writes. The document is edited by every client, so
 * anything may be in it: an entry that is not a Y.Map (or a turn whose `hunks` or `checkpoint`
 * is not what it should be) is skipped, never dereferenced, so a hostile update cannot make the
 * server's turn recording (or another browser) throw.
 */
function turnList(doc: Y.Doc): YTurn[] {
  return turnsOf(doc)
    .toArray()
    .filter((t): t is YTurn => t instanceof Y.Map);
}

function hunkList(turn: YTurn): Y.Map<unknown>[] {
  return (hunksOf(turn)?.toArray() ?? []).filter((h): h is Y.Map<unknown> => h instanceof Y.Map);
}

/** The turn's failed blocks that have the right shape (anyone's client may write anything). */
function failedBlocksOf(turn: YTurn): FailedBlock[] {
  const list = turn.get('failedBlocks');
  if (!(list instanceof Y.Array)) return [];
  return list.toArray().filter((b): b is FailedBlock => {
    const r = b as Partial<FailedBlock> | null;
    return !!r && typeof r === 'object' && typeof r.index === 'number' && typeof r.search === 'string' && (r.reason === 'malformed' || r.reason === 'noFile');
  });
}

function checkpointOf(turn: YTurn): Y.Map<string | null> | null {
  const c = turn.get('checkpoint');
  return c instanceof Y.Map ? (c as Y.Map<string | null>) : null;
}

export function readRestores(doc: Y.Doc): RestoreRecord[] {
  return [...restoresOf(doc).values()]
    .filter((r): r is Y.Map<unknown> => r instanceof Y.Map)
    .map((r) => r.toJSON() as RestoreRecord)
    .sort((a, b) => a.at - b.at);
}

function findTurn(doc: Y.Doc, turnId: string): YTurn | undefined {
  return turnList(doc).find((t) => t.get('id') === turnId);
}

function hunksOf(turn: YTurn): Y.Array<Y.Map<unknown>> | null {
  const h = turn.get('hunks');
  return h instanceof Y.Array ? (h as Y.Array<Y.Map<unknown>>) : null;
}

function findHunk(doc: Y.Doc, hunkId: string): Y.Map<unknown> | undefined {
  const turnId = hunkId.slice(0, hunkId.lastIndexOf(':'));
  const turn = findTurn(doc, turnId);
  return turn ? hunkList(turn).find((h) => h.get('id') === hunkId) : undefined;
}

/** A hunk's review state, or undefined when the document has no such hunk. */
export function hunkStatus(doc: Y.Doc, hunkId: string): HunkStatus | undefined {
  const status = findHunk(doc, hunkId)?.get('status');
  return status === 'pending' || status === 'accepted' || status === 'rejected' ? status : undefined;
}

/** Turns kept in the document; older ones (and their checkpoints) are dropped. */
export const MAX_TURNS = 100;

export function createTurn(doc: Y.Doc, init: Pick<TurnRecord, 'id' | 'prompt' | 'mode' | 'path' | 'autoApply'> & Pick<Partial<TurnRecord>, 'retryOf'>, origin?: unknown): void {
  doc.transact(() => {
    const turn = new Y.Map<unknown>();
    for (const [k, v] of Object.entries({
      ...init,
      status: 'streaming',
      response: '',
      error: null,
      dropped: null,
      createdAt: Date.now(),
      revertedBy: null,
      retryOf: init.retryOf ?? null,
    })) {
      turn.set(k, v);
    }
    turn.set('hunks', new Y.Array());
    turn.set('checkpoint', new Y.Map());
    turn.set('failedBlocks', new Y.Array());
    const turns = turnsOf(doc);
    turns.push([turn]);
    if (turns.length > MAX_TURNS) turns.delete(0, turns.length - MAX_TURNS);
  }, origin);
}

/** Records `path`'s current text as the turn's checkpoint for it, unless one is recorded already. */
export function recordCheckpoint(doc: Y.Doc, turnId: string, path: string, origin?: unknown): void {
  const turn = findTurn(doc, turnId);
  if (!turn) return;
  const checkpoint = checkpointOf(turn);
  if (!checkpoint || checkpoint.has(path)) return;
  doc.transact(() => checkpoint.set(path, readFile(doc, path) ?? null), origin);
}

export function addHunk(doc: Y.Doc, turnId: string, hunk: Omit<HunkRecord, 'id' | 'status'>, origin?: unknown): string | null {
  const turn = findTurn(doc, turnId);
  const hunks = turn && hunksOf(turn);
  if (!hunks) return null;
  const id = `${turnId}:${hunk.index}`;
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    for (const [k, v] of Object.entries({ ...hunk, id, status: 'pending' })) map.set(k, v);
    hunks.push([map]);
  }, origin);
  return id;
}

/** Records a block that could not become a hunk, so that it is shown as failed rather than lost. */
export function addFailedBlock(doc: Y.Doc, turnId: string, block: FailedBlock, origin?: unknown): void {
  const turn = findTurn(doc, turnId);
  const list = turn?.get('failedBlocks');
  if (!(list instanceof Y.Array) || list.length >= MAX_FAILED_BLOCKS) return;
  const clip = (t: string) => (t.length > MAX_FAILED_BLOCK_CHARS ? t.slice(0, MAX_FAILED_BLOCK_CHARS) + '\n[… cut]\n' : t);
  doc.transact(() => list.push([{ ...block, search: clip(block.search), replace: block.replace === null ? null : clip(block.replace) }]), origin);
}

export function finishTurn(
  doc: Y.Doc,
  turnId: string,
  end: Pick<TurnRecord, 'status' | 'response' | 'error' | 'dropped'>,
  origin?: unknown,
): void {
  const turn = findTurn(doc, turnId);
  if (!turn) return;
  doc.transact(() => {
    for (const [k, v] of Object.entries(end)) turn.set(k, v);
  }, origin);
}

/**
 * A writable view of the files: Monaco models in the browser (so an accept is an undo step), the
 * Y.Texts otherwise. Writes happen inside `batch`, never inside a `doc.transact` of ours: y-monaco
 * syncs a model edit in its own transaction and must not be nested in another.
 */
export interface TextTarget {
  /** Runs the writes as one step (one Yjs transaction, or one undo step in the editor). */
  batch(fn: () => void): void;
  read(path: string): string | null;
  /** Replaces [start, end) of `path` with `text`, creating the file when missing (start = end = 0). */
  replace(path: string, start: number, end: number, text: string): void;
  remove(path: string): void;
}

/** Writes straight to the document's Y.Texts (server, or a file without an editor model). */
export function yTextTarget(doc: Y.Doc, origin?: unknown): TextTarget {
  return {
    batch: (fn) => doc.transact(fn, origin),
    read: (path) => readFile(doc, path) ?? null,
    replace(path, start, end, text) {
      let ytext = filesOf(doc).get(path);
      // Missing, or not a text at all (a hostile update can put anything under a path): a new text.
      if (!(ytext instanceof Y.Text)) {
        ytext = new Y.Text();
        filesOf(doc).set(path, ytext);
      }
      if (end > start) ytext.delete(start, end - start);
      if (text) ytext.insert(start, wellFormed(text));
    },
    remove: (path) => filesOf(doc).delete(path),
  };
}

/** Where a hunk would go in the current text, or why it cannot go anywhere. */
export type Placement =
  | { ok: true; start: number; end: number; text: string; fuzzy: boolean; create: boolean; match: ApplyMatch }
  | Extract<ApplyResult, { ok: false }>;

/**
 * Places a hunk in `fileText` as it is now: this is the rebase. Text typed elsewhere in the
 * file moves the hunk; text typed inside the lines it replaces makes it a conflict.
 */
export function placeHunk(fileText: string | null, hunk: Pick<HunkRecord, 'search' | 'replace'> & Pick<Partial<HunkRecord>, 'pick'>): Placement {
  const r = applyBlock(fileText, hunk, { pick: validPick(hunk.pick) });
  if (!r.ok) return r;
  return {
    ok: true,
    start: r.range.start,
    end: r.range.end,
    text: r.text.slice(r.replacementRange.start, r.replacementRange.end),
    fuzzy: r.match === 'fuzzy',
    create: r.match === 'create',
    match: r.match,
  };
}

/** A pick as stored by anyone's client: used only when it has the right shape. */
function validPick(pick: unknown): HunkPick | undefined {
  if (typeof pick !== 'object' || pick === null) return undefined;
  const { index, of } = pick as Record<string, unknown>;
  return Number.isInteger(index) && Number.isInteger(of) ? { index: index as number, of: of as number } : undefined;
}

/**
 * What a reviewer sees: the stored status, or `conflict` when a pending hunk does not place.
 * `failed`: it never placed — the model's block did not apply when it was proposed (as opposed to
 * text changed under it later); shown with its reason, `closest` lines and a retry.
 */
export type HunkView = HunkRecord & { view: HunkStatus | 'conflict'; placement: Placement | null; failed: boolean; closest: ClosestLines | null };

/** `closest` finds the lines most like a failed SEARCH; pass a cached one, it is the only costly step. */
export function viewHunk(hunk: HunkRecord, fileText: string | null, closest?: (fileText: string | null, search: string) => ClosestLines | null): HunkView {
  if (hunk.status !== 'pending') return { ...hunk, view: hunk.status, placement: null, failed: false, closest: null };
  const placement = placeHunk(fileText, hunk);
  const failed = !placement.ok && !hunk.matchedAtProposal;
  const near = failed && placement.reason !== 'ambiguous' && closest ? closest(fileText, hunk.search) : null;
  return { ...hunk, view: placement.ok ? 'pending' : 'conflict', placement, failed, closest: near };
}

/** Records the reviewer's choice among an ambiguous hunk's candidates (a browser's document edit). */
export function pickCandidate(doc: Y.Doc, hunkId: string, pick: HunkPick, origin?: unknown): boolean {
  const hunk = findHunk(doc, hunkId);
  if (!hunk || hunk.get('status') !== 'pending') return false;
  doc.transact(() => hunk.set('pick', { index: pick.index, of: pick.of }), origin);
  return true;
}

/** `hunkId` null: one of the turn's `failedBlocks`. */
export type TurnFailure = BlockFailure & { hunkId: string | null; retriedBy: string | null };

/**
 * The blocks of turn `turnId` that do not apply to the files as they are now (pending hunks
 * only), and how many of its hunks did apply or still place — the input of `failureReport`.
 */
export function turnFailures(doc: Y.Doc, turnId: string): { failures: TurnFailure[]; applied: number } {
  const turn = findTurn(doc, turnId);
  const failures: TurnFailure[] = [];
  let applied = 0;
  for (const h of turn ? hunkList(turn) : []) {
    const rec = h.toJSON() as HunkRecord;
    if (typeof rec.path !== 'string' || typeof rec.search !== 'string' || typeof rec.replace !== 'string') continue;
    if (rec.status === 'accepted') applied++;
    if (rec.status !== 'pending') continue;
    const text = readFile(doc, rec.path) ?? null;
    const r = applyBlock(text, rec, { pick: validPick(rec.pick) });
    const failure = describeFailure(rec.index, rec.path, text, rec, r);
    if (failure) failures.push({ ...failure, hunkId: rec.id, retriedBy: typeof rec.retriedBy === 'string' ? rec.retriedBy : null });
    else applied++;
  }
  const blocksRetriedBy = turn?.get('failedBlocksRetriedBy');
  for (const f of turn ? failedBlocksOf(turn) : []) {
    failures.push({
      index: f.index,
      path: f.path,
      block: { search: f.search, replace: f.replace ?? '' },
      reason: f.reason,
      detail: f.reason === 'malformed' ? 'it has no ======= line between SEARCH and REPLACE' : `it names no file of the workspace${f.path ? ` (${f.path})` : ''}`,
      hunkId: null,
      retriedBy: typeof blocksRetriedBy === 'string' ? blocksRetriedBy : null,
    });
  }
  failures.sort((x, y) => x.index - y.index);
  return { failures, applied };
}

/** Marks failures of turn `turnId` as re-asked by turn `retryTurnId`: the review shows them as sent back, not as open failures. */
export function markRetried(doc: Y.Doc, turnId: string, failures: Pick<TurnFailure, 'hunkId'>[], retryTurnId: string, origin?: unknown): void {
  const hunkIds = failures.flatMap((f) => (f.hunkId === null ? [] : [f.hunkId]));
  const blocks = failures.some((f) => f.hunkId === null);
  doc.transact(() => {
    if (blocks) findTurn(doc, turnId)?.set('failedBlocksRetriedBy', retryTurnId);
    for (const id of hunkIds) {
      const hunk = findHunk(doc, id);
      if (hunk && hunk.get('status') === 'pending') hunk.set('retriedBy', retryTurnId);
    }
  }, origin);
}

export type ReviewError = { code: 'notPending' | 'conflict' | 'notFound'; message: string };

/**
 * Accepts hunks: each is placed in the current text and applied through `target` (one batch),
 * then the applied ones are marked accepted. Hunks that do not place are left pending and
 * reported; nothing is applied at a guess.
 */
export function acceptHunks(doc: Y.Doc, hunkIds: string[], target: TextTarget, origin?: unknown): ReviewError[] {
  const errors: ReviewError[] = [];
  const accepted: Y.Map<unknown>[] = [];
  target.batch(() => {
    for (const id of hunkIds) {
      const hunk = findHunk(doc, id);
      if (!hunk) {
        errors.push({ code: 'notFound', message: `No hunk ${id}.` });
        continue;
      }
      const rec = hunk.toJSON() as HunkRecord;
      if (rec.status !== 'pending') {
        errors.push({ code: 'notPending', message: `Hunk ${rec.index + 1} is already ${rec.status}.` });
        continue;
      }
      const placement = placeHunk(target.read(rec.path), rec);
      if (!placement.ok) {
        errors.push({ code: 'conflict', message: conflictMessage(rec, placement.reason) });
        continue;
      }
      target.replace(rec.path, placement.start, placement.end, placement.text);
      accepted.push(hunk);
    }
  });
  if (accepted.length) doc.transact(() => accepted.forEach((h) => h.set('status', 'accepted')), origin);
  return errors;
}

export function rejectHunks(doc: Y.Doc, hunkIds: string[], origin?: unknown): void {
  doc.transact(() => {
    for (const id of hunkIds) {
      const hunk = findHunk(doc, id);
      if (hunk && hunk.get('status') === 'pending') hunk.set('status', 'rejected');
    }
  }, origin);
}

export function conflictMessage(hunk: Pick<HunkRecord, 'path' | 'matchedAtProposal'>, reason: FailureReason): string {
  if (reason === 'elision') return `The pieces of this hunk around its "..." lines do not line up with ${hunk.path}.`;
  if (reason === 'ambiguous') return `The text this hunk replaces occurs more than once in ${hunk.path}; it is not applied at a guess.`;
  return hunk.matchedAtProposal
    ? `The text under this hunk changed in ${hunk.path} after it was proposed.`
    : `The text this hunk replaces was not found in ${hunk.path}.`;
}

/**
 * Restores the workspace to just before `turnId`: every file touched by that turn or a later one
 * gets the text it had before the earliest of them touched it (files they created are removed),
 * their pending hunks are rejected, and the turns are marked reverted. Returns the restore's id;
 * `undoRestore` puts everything back.
 */
export function restoreCheckpoint(doc: Y.Doc, turnId: string, target: TextTarget, restoreId: string, origin?: unknown): boolean {
  const turns = turnList(doc);
  const from = turns.findIndex((t) => t.get('id') === turnId);
  if (from < 0) return false;
  const affected = turns.slice(from).filter((t) => t.get('revertedBy') == null);
  const wanted = new Map<string, string | null>();
  for (const turn of affected) {
    for (const [path, text] of checkpointOf(turn)?.entries() ?? []) {
      if (!wanted.has(path)) wanted.set(path, text);
    }
  }
  const before: Record<string, string | null> = {};
  target.batch(() => {
    for (const [path, text] of wanted) {
      before[path] = target.read(path);
      writeWhole(target, path, text);
    }
  });
  doc.transact(() => {
    const hunks: Record<string, HunkStatus> = {};
    for (const turn of affected) {
      turn.set('revertedBy', restoreId);
      for (const h of hunkList(turn)) {
        if (h.get('status') === 'pending') {
          hunks[h.get('id') as string] = 'pending';
          h.set('status', 'rejected');
        }
      }
    }
    const record = new Y.Map<unknown>();
    for (const [k, v] of Object.entries({ id: restoreId, turnId, at: Date.now(), files: before, hunks, undone: false })) record.set(k, v);
    restoresOf(doc).set(restoreId, record);
  }, origin);
  return true;
}

export function undoRestore(doc: Y.Doc, restoreId: string, target: TextTarget, origin?: unknown): boolean {
  const record: unknown = restoresOf(doc).get(restoreId);
  if (!(record instanceof Y.Map) || record.get('undone')) return false;
  const rec = record.toJSON() as RestoreRecord;
  if (typeof rec.files !== 'object' || rec.files === null || typeof rec.hunks !== 'object' || rec.hunks === null) return false;
  target.batch(() => {
    for (const [path, text] of Object.entries(rec.files)) writeWhole(target, path, text);
  });
  doc.transact(() => {
    for (const turn of turnList(doc)) {
      if (turn.get('revertedBy') !== restoreId) continue;
      turn.set('revertedBy', null);
      for (const h of hunkList(turn)) {
        const prior = rec.hunks[h.get('id') as string];
        if (prior) h.set('status', prior);
      }
    }
    record.set('undone', true);
  }, origin);
  return true;
}

/** Sets a file's whole text with one minimal replace (common prefix and suffix kept), or removes it. */
function writeWhole(target: TextTarget, path: string, text: string | null): void {
  const current = target.read(path);
  if (text === null) {
    if (current !== null) target.remove(path);
    return;
  }
  if (current === null) return target.replace(path, 0, 0, text);
  if (current === text) return;
  let prefix = 0;
  const max = Math.min(current.length, text.length);
  while (prefix < max && current[prefix] === text[prefix]) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && current[current.length - 1 - suffix] === text[text.length - 1 - suffix]) suffix++;
  target.replace(path, prefix, current.length - suffix, text.slice(prefix, text.length - suffix));
}
