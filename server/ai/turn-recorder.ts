import type * as Y from 'yjs';
import { EditStreamParser } from '@/lib/edits';
import { FilePath, LIMITS } from '@/lib/protocol';
import { acceptHunks, addHunk, createTurn, finishTurn, placeHunk, recordCheckpoint, yTextTarget, type TurnRecord } from '@/lib/collab/thread';
import { readFile } from '@/lib/collab/workspace-doc';

/** Origin of the server's own writes to a session document (hunks, checkpoints, instant edits). */
export const AI_ORIGIN = 'flint:ai';

/** The stored answer is capped; the stream itself is not. */
const MAX_RESPONSE_CHARS = 200_000;

/**
 * Turns one model stream into the session's record of the turn, as it arrives: a checkpoint of
 * each file the first time a block names it, a hunk each time a block closes (applied at once in
 * instant mode when it places), and at the end the answer, its status and any dropped block.
 *
 * The parser is the same one the browsers run to paint the live diff, so a hunk's index here is
 * the block index they see.
 */
export class TurnRecorder {
  private readonly parser: EditStreamParser;
  private response = '';
  private open: { index: number; path: string | null; chars: number } | null = null;
  private finished = false;

  constructor(
    private readonly doc: Y.Doc,
    readonly turn: Pick<TurnRecord, 'id' | 'prompt' | 'mode' | 'path' | 'instant'>,
  ) {
    this.parser = new EditStreamParser({ defaultPath: turn.path });
    createTurn(doc, turn, AI_ORIGIN);
  }

  push(text: string): void {
    if (this.finished) return;
    if (this.response.length < MAX_RESPONSE_CHARS) this.response += text.slice(0, MAX_RESPONSE_CHARS - this.response.length);
    this.handle(this.parser.push(text));
  }

  private handle(events: ReturnType<EditStreamParser['push']>): { path: string | null; chars: number } | null {
    let aborted: { path: string | null; chars: number } | null = null;
    for (const ev of events) {
      switch (ev.type) {
        case 'blockOpen': {
          this.open = { index: ev.index, path: ev.path, chars: 0 };
          const path = validPath(ev.path);
          if (path) recordCheckpoint(this.doc, this.turn.id, path, AI_ORIGIN);
          break;
        }
        case 'searchDelta':
        case 'replaceDelta':
          if (this.open) this.open.chars += ev.text.length;
          break;
        case 'blockClose': {
          this.open = null;
          const path = validPath(ev.path);
          if (!path) break; // a block naming no usable file: its text stays in the answer
          const placed = placeHunk(readFile(this.doc, path) ?? null, ev).ok;
          const id = addHunk(this.doc, this.turn.id, { index: ev.index, path, search: ev.search, replace: ev.replace, matchedAtProposal: placed }, AI_ORIGIN);
          if (id && placed && this.turn.instant) acceptHunks(this.doc, [id], yTextTarget(this.doc, AI_ORIGIN), AI_ORIGIN);
          break;
        }
        case 'blockAbort':
          this.open = null;
          aborted = { path: ev.path, chars: ev.partial.search.length + (ev.partial.replace?.length ?? 0) };
          break;
      }
    }
    return aborted;
  }

  /** Ends the record. A block still open (interrupt, error, truncation) is dropped, never applied. */
  finish(status: TurnRecord['status'], error: string | null): void {
    if (this.finished) return;
    this.finished = true;
    const dropped = this.handle(this.parser.end());
    finishTurn(this.doc, this.turn.id, { status, response: this.response, error, dropped }, AI_ORIGIN);
  }
}

/** A block's path when the model wrote a valid workspace path. */
function validPath(path: string | null): string | null {
  if (path === null || path.length > LIMITS.maxPathChars) return null;
  const clean = path.replace(/^\.\//, '');
  return FilePath.safeParse(clean).success ? clean : null;
}
