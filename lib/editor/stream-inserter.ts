'use client';
import type { editor, IRange } from 'monaco-editor';
import type { Monaco } from './monaco-setup';

/**
 * Writes one AI stream into a Monaco model at a point that moves with the person's own edits.
 * The streamed text is covered by one decoration (the live "added" highlight); each `insert`
 * appends at its end. The whole stream is one undo step.
 *
 * Invariants:
 * - `insert` is called at most once per animation frame (the caller batches);
 * - text typed elsewhere shifts the decoration, never the other way round;
 * - after `close()` the model is never touched again by this inserter.
 */
export class StreamInserter {
  private decorationId: string | null = null;
  private closed = false;
  private inserted = 0;

  constructor(
    private readonly monaco: Monaco,
    private readonly model: editor.ITextModel,
    selection: { start: number; end: number },
  ) {
    const start = model.getPositionAt(selection.start);
    const end = model.getPositionAt(selection.end);
    model.pushStackElement();
    const range = new monaco.Range(start.lineNumber, start.column, end.lineNumber, end.column);
    if (!range.isEmpty()) model.pushEditOperations([], [{ range, text: '' }], () => null);
    this.decorationId = model.deltaDecorations([], [this.decoration(new monaco.Range(start.lineNumber, start.column, start.lineNumber, start.column))])[0];
  }

  private decoration(range: IRange): editor.IModelDeltaDecoration {
    return {
      range,
      options: {
        className: 'flint-added',
        isWholeLine: false,
        stickiness: this.monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
        overviewRuler: { color: '#3fb95066', position: this.monaco.editor.OverviewRulerLane.Left },
      },
    };
  }

  insert(text: string): void {
    if (this.closed || this.model.isDisposed() || !text) return;
    const current = this.decorationId ? this.model.getDecorationRange(this.decorationId) : null;
    if (!current) return;
    const at = current.getEndPosition();
    const startOffset = this.model.getOffsetAt(current.getStartPosition());
    this.model.pushEditOperations([], [{ range: new this.monaco.Range(at.lineNumber, at.column, at.lineNumber, at.column), text, forceMoveMarkers: false }], () => null);
    this.inserted += text.length;
    const endOffset = this.model.getOffsetAt(at) + text.length;
    const s = this.model.getPositionAt(startOffset);
    const e = this.model.getPositionAt(endOffset);
    this.decorationId = this.model.deltaDecorations([this.decorationId!], [this.decoration(new this.monaco.Range(s.lineNumber, s.column, e.lineNumber, e.column))])[0];
  }

  /** Where the streamed text now ends, for revealing it in the editor. */
  end(): { lineNumber: number; column: number } | null {
    const range = this.decorationId && !this.model.isDisposed() ? this.model.getDecorationRange(this.decorationId) : null;
    return range ? range.getEndPosition() : null;
  }

  /** Ends the undo step; the highlight stays until `clear()` (the next stream). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.model.isDisposed()) this.model.pushStackElement();
  }

  clear(): void {
    this.close();
    if (this.decorationId && !this.model.isDisposed()) this.model.deltaDecorations([this.decorationId], []);
    this.decorationId = null;
  }

  get length(): number {
    return this.inserted;
  }
}
