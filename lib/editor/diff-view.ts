'use client';
import type { editor } from 'monaco-editor';
import type { DiffItem } from '@/lib/client/session-runtime';
import type { Monaco } from './monaco-setup';

/**
 * Paints proposed changes into one Monaco editor without touching the text: the lines a change
 * removes are marked (decorations) and the text it adds is shown in a view zone below them.
 * Because the model is untouched, the person keeps typing anywhere, and nothing reaches the
 * shared document until a hunk is accepted.
 *
 * Not by colour alone: a removed line has a `−` in its gutter and each added line a `+` before
 * it (app/globals.css draws both), and the added text says what it is to a screen reader.
 *
 * `render` is called at most once per animation frame. Zones are keyed: a zone is rebuilt only
 * when its text or anchor line changed (in practice, the block streaming now).
 */
export class DiffView {
  private readonly decorations: editor.IEditorDecorationsCollection;
  private zones = new Map<string, { id: string; added: string; after: number; kind: DiffItem['kind'] }>();
  private model: editor.ITextModel | null = null;

  constructor(
    private readonly monaco: Monaco,
    private readonly ed: editor.IStandaloneCodeEditor,
  ) {
    this.decorations = ed.createDecorationsCollection();
  }

  render(items: DiffItem[]): void {
    const model = this.ed.getModel();
    if (!model) return;
    if (model !== this.model) {
      // Zones belong to the editor, not the model: a file switch starts from scratch.
      this.clear();
      this.model = model;
    }
    const { Range } = this.monaco;
    const max = model.getValueLength();
    const decorations: editor.IModelDeltaDecoration[] = [];
    const wanted = new Map<string, { added: string; after: number; kind: DiffItem['kind'] }>();
    for (const item of items) {
      const start = model.getPositionAt(Math.min(item.start, max));
      const end = model.getPositionAt(Math.min(item.end, max));
      // Removed lines are whole lines; `end` is the start of the line after them.
      const lastRemoved = end.column === 1 && end.lineNumber > start.lineNumber ? end.lineNumber - 1 : end.lineNumber;
      if (item.end > item.start) {
        decorations.push({
          range: new Range(start.lineNumber, 1, lastRemoved, 1),
          options: {
            isWholeLine: true,
            className: item.kind === 'live' ? 'flint-removed flint-live' : 'flint-removed',
            linesDecorationsClassName: 'flint-removed-gutter',
            overviewRuler: { color: '#f8514999', position: this.monaco.editor.OverviewRulerLane.Left },
          },
        });
      }
      const after = item.end > item.start ? lastRemoved : start.lineNumber - 1;
      if (item.added) wanted.set(item.key, { added: item.added, after, kind: item.kind });
    }
    this.decorations.set(decorations);

    const fresh: string[] = [];
    const hadZones = this.zones.size > 0;
    this.ed.changeViewZones((acc) => {
      for (const [key, zone] of this.zones) {
        const w = wanted.get(key);
        if (w && w.added === zone.added && w.after === zone.after && w.kind === zone.kind) continue;
        acc.removeZone(zone.id);
        this.zones.delete(key);
      }
      for (const [key, w] of wanted) {
        if (this.zones.has(key)) continue;
        const lines = w.added.replace(/\r?\n$/, '').split(/\r?\n/);
        const id = acc.addZone({ afterLineNumber: w.after, heightInLines: lines.length, domNode: this.zoneNode(lines, w.kind, key) });
        this.zones.set(key, { id, ...w });
        fresh.push(key);
      }
    });
    // Bring a change into view when it first appears: a live block as it starts streaming, or the
    // first proposal shown in this editor. Zones re-made because the person typed above them (their
    // line moved) are not new: revealing them would pull the view away from where they type.
    const live = fresh.find((k) => k.startsWith('live:')) ?? (!hadZones ? fresh[0] : undefined);
    if (live) this.ed.revealLinesInCenterIfOutsideViewport(this.zones.get(live)!.after, this.zones.get(live)!.after + 1);
  }

  private zoneNode(lines: string[], kind: DiffItem['kind'], key: string): HTMLElement {
    const font = this.ed.getOption(this.monaco.editor.EditorOption.fontInfo);
    const node = document.createElement('div');
    node.className = `flint-added-zone flint-${kind}`;
    node.dataset.testid = 'diff-added';
    node.dataset.kind = kind;
    node.dataset.key = key;
    node.setAttribute('role', 'group');
    node.setAttribute('aria-label', kind === 'live' ? 'Text the model is adding now' : 'Text this proposal adds');
    node.style.fontFamily = font.fontFamily;
    node.style.fontSize = `${font.fontSize}px`;
    node.style.lineHeight = `${font.lineHeight}px`;
    for (const line of lines) {
      const div = document.createElement('div');
      div.className = 'flint-added-line';
      div.textContent = line || ' ';
      node.appendChild(div);
    }
    return node;
  }

  clear(): void {
    this.decorations.clear();
    if (this.zones.size) {
      this.ed.changeViewZones((acc) => {
        for (const zone of this.zones.values()) acc.removeZone(zone.id);
      });
    }
    this.zones.clear();
  }
}
