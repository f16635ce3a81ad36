import { protocolError, type HunkClaimResult, type ProtocolError } from '@/lib/protocol';
import { readFile } from '@/lib/collab/workspace-doc';
import { closestLines, failureReport, type ClosestLines } from '@/lib/edits/report';
import {
  acceptHunks,
  pickCandidate,
  placeHunk,
  readRestores,
  readThread,
  rejectHunks,
  restoreCheckpoint,
  restoresOf,
  turnFailures,
  turnsOf,
  undoRestore,
  viewHunk,
  type HunkView,
  type TurnRecord,
} from '@/lib/collab/thread';
import { canEdit, editTarget, type RuntimeContext } from './context';
import type { LiveTurnBlock } from './live-turn';
import { report, request } from './requests';
import type { DiffItem } from './types';

/**
 * The thread and review state in the store, the diff the editor paints, and the review actions
 * (accept, reject, checkpoints). The thread is re-read only when it changed (`threadDirty`, set
 * by its observers); hunks are re-placed when the thread or the files changed.
 */
export class Review {
  private threadDirty = true;
  private filesDirty = true;
  private thread: TurnRecord[] = [];
  /** Closest lines per failed hunk, for the file text they were found in: the similarity search runs only when that changes. */
  private closest = new Map<string, { text: string | null; lines: ClosestLines | null }>();

  constructor(
    private readonly ctx: RuntimeContext,
    /** The block streaming now, painted with the pending hunks. */
    private readonly liveBlock: () => LiveTurnBlock | null,
  ) {
    const threadChanged = () => {
      this.threadDirty = true;
      ctx.requestFrame();
    };
    const doc = ctx.doc;
    turnsOf(doc).observeDeep(threadChanged);
    restoresOf(doc).observeDeep(threadChanged);
    ctx.off.push(() => turnsOf(doc).unobserveDeep(threadChanged), () => restoresOf(doc).unobserveDeep(threadChanged));
  }

  /** The files changed (any document update) or the editor attached: re-place hunks next frame. */
  filesChanged() {
    this.filesDirty = true;
    this.ctx.requestFrame();
  }

  /** Whether the next frame must `refresh()` rather than only `paint()`. */
  get stale(): boolean {
    return this.threadDirty || this.filesDirty;
  }

  /** Re-reads the thread when it changed, re-places pending hunks in the current text, repaints. */
  refresh() {
    const { doc, store: api } = this.ctx;
    if (this.threadDirty) this.thread = readThread(doc);
    const threadChanged = this.threadDirty;
    this.threadDirty = false;
    this.filesDirty = false;
    const last = this.thread.at(-1);
    const hunks: HunkView[] = [];
    const closest = new Map<string, { text: string | null; lines: ClosestLines | null }>();
    for (const turn of this.thread) {
      if (turn.revertedBy) continue;
      for (const h of turn.hunks) {
        if (h.status !== 'pending' && turn !== last) continue;
        hunks.push(
          viewHunk(h, readFile(doc, h.path) ?? null, (text, search) => {
            const hit = this.closest.get(h.id);
            const entry = hit && hit.text === text ? hit : { text, lines: closestLines(text, search) };
            closest.set(h.id, entry);
            return entry.lines;
          }),
        );
      }
    }
    this.closest = closest;
    const store = api.getState();
    store.setThread(threadChanged ? this.thread : store.thread, hunks, threadChanged ? readRestores(doc) : store.restores);
    if (store.selectedHunk && !hunks.some((h) => h.id === store.selectedHunk && h.view !== 'accepted' && h.view !== 'rejected')) {
      store.selectHunk(null);
    }
    this.paint();
  }

  /** The diff the editor shows: pending hunks where they place now, and the block streaming now. */
  paint() {
    const editor = this.ctx.editor;
    if (!editor) return;
    const items = new Map<string, DiffItem[]>();
    const add = (path: string, item: DiffItem) => {
      const list = items.get(path) ?? [];
      list.push(item);
      items.set(path, list);
    };
    for (const h of this.ctx.store.getState().hunks) {
      if (h.view === 'pending' && h.placement?.ok) add(h.path, { key: h.id, kind: 'pending', start: h.placement.start, end: h.placement.end, added: h.placement.text });
    }
    const block = this.liveBlock();
    if (block && block.path && block.phase === 'replace') {
      const placement = placeHunk(readFile(this.ctx.doc, block.path) ?? null, { search: block.search, replace: block.replace });
      block.placed = placement.ok;
      if (placement.ok) add(block.path, { key: `live:${block.index}`, kind: 'live', start: placement.start, end: placement.end, added: placement.text });
    }
    editor.paint(items);
  }

  /**
   * Accepts hunks: the server first grants each to this person alone (`hunk:claim`: two people
   * accepting one hunk at once would both insert its text), then they are written here, through
   * the editor, as one undo step.
   */
  async accept(ids: string[]) {
    if (!canEdit(this.ctx) || !ids.length) return;
    const granted = await this.claim(ids);
    if (!granted) return;
    const errors = [...granted.refused, ...acceptHunks(this.ctx.doc, granted.ids, editTarget(this.ctx))];
    if (errors.length) this.showError(protocolError('conflict', errors.map((e) => e.message).join(' ')));
    else this.showError(null);
  }

  async reject(ids: string[]) {
    if (!canEdit(this.ctx) || !ids.length) return;
    const granted = await this.claim(ids);
    if (!granted) return;
    rejectHunks(this.ctx.doc, granted.ids);
    if (granted.refused.length) this.showError(protocolError('conflict', granted.refused.map((e) => e.message).join(' ')));
  }

  /** The hunks this person may decide now, and why the others may not; null when refused outright. */
  private async claim(ids: string[]): Promise<{ ids: string[]; refused: Array<{ message: string }> } | null> {
    const ctx = this.ctx;
    const r = report(ctx, await request<HunkClaimResult>(ctx, (ack) => ctx.socket.emit('hunk:claim', { hunkIds: ids }, ack)));
    if (!r.ok) return null;
    const label = (id: string) => {
      const hunk = ctx.store.getState().hunks.find((h) => h.id === id);
      return hunk ? `Hunk ${hunk.index + 1}` : 'A hunk';
    };
    return {
      ids: r.data.granted,
      refused: r.data.refused.map(({ hunkId, reason }) => ({
        message: reason === 'decided' ? `${label(hunkId)} was already decided by someone else.` : `${label(hunkId)} is being decided by someone else right now.`,
      })),
    };
  }

  /** Applies an ambiguous hunk at candidate `index` of `of`: the choice is recorded on the hunk, then it is accepted. */
  async pick(hunkId: string, index: number, of: number) {
    if (!canEdit(this.ctx)) return;
    pickCandidate(this.ctx.doc, hunkId, { index, of });
    await this.accept([hunkId]);
  }

  /** The failure report of turn `turnId`, as `ai:retry` would send it, into the prompt box to edit. */
  draftFailureReport(turnId: string) {
    const { failures, applied } = turnFailures(this.ctx.doc, turnId);
    if (failures.length) this.ctx.store.getState().draftPrompt(failureReport(failures, applied));
  }

  /**
   * Whether turn `turnId` has failures the automatic retry sends: blocks that did not apply or
   * never became hunks, not yet sent back, ambiguous ones aside (the person's call); never for a retry.
   */
  needsAutoRetry(turnId: string): boolean {
    const turn = this.thread.find((t) => t.id === turnId);
    if (!turn || turn.retryOf || turn.revertedBy) return false;
    if ((turn.failedBlocks?.length ?? 0) > 0 && !turn.failedBlocksRetriedBy) return true;
    return this.ctx.store
      .getState()
      .hunks.some((h) => h.id.startsWith(`${turnId}:`) && h.failed && !h.retriedBy && h.placement && !h.placement.ok && h.placement.reason !== 'ambiguous');
  }

  /** The file a turn was about (a retry runs against it). */
  turnPath(turnId: string): string | null {
    return this.thread.find((t) => t.id === turnId)?.path ?? null;
  }

  /** Pending, placeable hunks: what "accept all" applies. */
  reviewable(): string[] {
    return this.ctx.store.getState().hunks.filter((h) => h.view === 'pending').map((h) => h.id);
  }

  rejectable(): string[] {
    return this.ctx.store.getState().hunks.filter((h) => h.view === 'pending' || h.view === 'conflict').map((h) => h.id);
  }

  restore(turnId: string) {
    if (!canEdit(this.ctx)) return;
    restoreCheckpoint(this.ctx.doc, turnId, editTarget(this.ctx), crypto.randomUUID());
  }

  undoRestore(restoreId: string) {
    if (!canEdit(this.ctx)) return;
    undoRestore(this.ctx.doc, restoreId, editTarget(this.ctx));
  }

  reveal(path: string, offset: number) {
    this.ctx.store.getState().openFile(path);
    this.ctx.editor?.reveal(path, offset);
  }

  private showError(error: ProtocolError | null) {
    this.ctx.store.getState().showError(error);
  }
}
