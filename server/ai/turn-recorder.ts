import type * as Y from 'yjs';
import { FlintError } from '../errors';
import { textBytes, type DocLimits } from '../sessions/doc-limits';
import { EditStreamParser, resolvePath } from '@/lib/edits';
import { FilePath, LIMITS } from '@/lib/protocol';
import { acceptHunks, addFailedBlock, addHunk, createTurn, finishTurn, placeHunk, recordCheckpoint, yTextTarget, type TurnRecord } from '@/lib/collab/thread';
import { filesOf, readFile } from '@/lib/collab/workspace-doc';

/** Origin of the server's own writes to a session document (hunks, checkpoints, auto-applied edits). */
export const AI_ORIGIN = 'flint:ai';

/** The stored answer is capped; the stream itself is not. */
const MAX_RESPONSE_CHARS = 200_000;

/**
 * Turns one model stream into the session's record of the turn, as it arrives: a checkpoint of
 * each file the first time a block names it, a hunk each time a block closes (applied at once in
 * auto-apply mode when it places), and at the end the answer, its status and any dropped block.
 *
 * The parser is the same one the browsers run to paint the live diff, so a hunk's index here is
 * the block index they see.
 */
export class TurnRecorder {
  private readonly parser: EditStreamParser;
  private response = '';
  private open: { index: number; path: string | null; chars: number } | null = null;
  private finished = false;
  /**
   * Set when a write would have grown the document past its limits: nothing more is recorded
   * (the controller stops the stream); the hunks recorded before stay for review.
   */
  limitError: FlintError | null = null;
  /** The block whose hunk was refused, reported as dropped. */
  private refused: { path: string | null; chars: number } | null = null;

  /** Records the turn; throws `limitExceeded` (nothing written) when even that does not fit. */
  constructor(
    private readonly doc: Y.Doc,
    readonly turn: Pick<TurnRecord, 'id' | 'prompt' | 'mode' | 'path' | 'autoApply'> & Pick<Partial<TurnRecord>, 'retryOf'>,
    private readonly limits?: DocLimits,
  ) {
    this.parser = new EditStreamParser({ defaultPath: turn.path, resolvePath: (written) => resolvePath(written, filesOf(doc).keys()) });
    this.write(textBytes(turn.prompt) + textBytes(turn.path), (d) => createTurn(d, turn, AI_ORIGIN));
  }

  /** A write to the document, within its limits when there are any. */
  private write<T>(estimate: number, fn: (doc: Y.Doc) => T): T {
    return this.limits ? this.limits.write(this.doc, estimate, fn) : fn(this.doc);
  }

  /** Like `write`, but a refusal stops the turn (`limitError`) instead of throwing. */
  private tryWrite(estimate: number, fn: (doc: Y.Doc) => unknown, block: { path: string | null; chars: number }): void {
    try {
      this.write(estimate, fn);
    } catch (err) {
      if (!(err instanceof FlintError) || err.code !== 'limitExceeded') throw err;
      this.limitError = new FlintError('limitExceeded', `The answer was stopped: ${err.message} The changes it proposed before are kept for review.`);
      this.refused = block;
    }
  }

  push(text: string): void {
    if (this.finished || this.limitError) return;
    if (this.response.length < MAX_RESPONSE_CHARS) this.response += text.slice(0, MAX_RESPONSE_CHARS - this.response.length);
    this.handle(this.parser.push(text));
  }

  private handle(events: ReturnType<EditStreamParser['push']>): { path: string | null; chars: number } | null {
    let aborted: { path: string | null; chars: number } | null = null;
    for (const ev of events) {
      if (this.limitError) break;
      switch (ev.type) {
        case 'blockOpen': {
          this.open = { index: ev.index, path: ev.path, chars: 0 };
          const path = validPath(ev.path);
          if (path) {
            const block = { path, chars: 0 };
            this.tryWrite(textBytes(readFile(this.doc, path) ?? ''), (d) => recordCheckpoint(d, this.turn.id, path, AI_ORIGIN), block);
          }
          break;
        }
        case 'searchDelta':
        case 'replaceDelta':
          if (this.open) this.open.chars += ev.text.length;
          break;
        case 'blockClose': {
          this.open = null;
          const path = validPath(ev.path);
          if (!path) {
            // A block naming no usable file: shown as failed, never lost.
            const failed = { index: ev.index, path: ev.path, reason: 'noFile' as const, search: ev.search, replace: ev.replace };
            this.tryWrite(textBytes(ev.search) + textBytes(ev.replace), (d) => addFailedBlock(d, this.turn.id, failed, AI_ORIGIN), { path: null, chars: 0 });
            break;
          }
          const estimate = textBytes(ev.search) + 2 * textBytes(ev.replace); // the hunk, and the file when applied at once
          this.tryWrite(
            estimate,
            (d) => {
              const placed = placeHunk(readFile(d, path) ?? null, ev).ok;
              const id = addHunk(d, this.turn.id, { index: ev.index, path, search: ev.search, replace: ev.replace, matchedAtProposal: placed }, AI_ORIGIN);
              if (id && placed && this.turn.autoApply) acceptHunks(d, [id], yTextTarget(d, AI_ORIGIN), AI_ORIGIN);
            },
            { path, chars: ev.search.length + ev.replace.length },
          );
          break;
        }
        case 'blockAbort':
          this.open = null;
          if (ev.reason === 'malformed') {
            const failed = { index: ev.index, path: ev.path, reason: 'malformed' as const, search: ev.partial.search, replace: ev.partial.replace };
            this.tryWrite(textBytes(ev.partial.search), (d) => addFailedBlock(d, this.turn.id, failed, AI_ORIGIN), { path: ev.path, chars: 0 });
            break;
          }
          aborted = { path: ev.path, chars: ev.partial.search.length + (ev.partial.replace?.length ?? 0) };
          break;
      }
    }
    return aborted;
  }

  /**
   * Ends the record. A block still open (interrupt, error, truncation) is dropped, never applied.
   * When the answer's text does not fit the document's limit it is left out; the closing record
   * itself (status, error: a few hundred bytes) is always written, so no turn stays open.
   */
  finish(status: TurnRecord['status'], error: string | null): void {
    if (this.finished) return;
    this.finished = true;
    const stoppedBefore = this.limitError !== null;
    let dropped = stoppedBefore ? this.refused : this.handle(this.parser.end());
    if (!stoppedBefore && this.limitError) {
      // The last block, closed by the end of the stream, did not fit: the turn ends in that error.
      [status, error, dropped] = ['error', this.limitError.message, this.refused];
    }
    try {
      this.write(textBytes(this.response) + textBytes(error ?? ''), (d) => finishTurn(d, this.turn.id, { status, response: this.response, error, dropped }, AI_ORIGIN));
    } catch (err) {
      if (!(err instanceof FlintError) || err.code !== 'limitExceeded') throw err;
      const why = `The answer's text was not kept: ${err.message}`;
      finishTurn(this.doc, this.turn.id, { status, response: '', error: error ? `${error} ${why}` : why, dropped }, AI_ORIGIN);
    }
  }
}

/** A block's path when the model wrote a valid workspace path. */
function validPath(path: string | null): string | null {
  if (path === null || path.length > LIMITS.maxPathChars) return null;
  const clean = path.replace(/^\.\//, '');
  return FilePath.safeParse(clean).success ? clean : null;
}
