'use client';
import type * as Y from 'yjs';
import type { MonacoBinding } from 'y-monaco';
import type { Awareness } from 'y-protocols/awareness';
import type { editor } from 'monaco-editor';
import { filesOf } from '@/lib/collab/workspace-doc';
import { languageOf, uriOf, type Monaco } from './monaco-setup';

/**
 * One Monaco model per workspace file, each bound to its Y.Text with y-monaco, so every file is
 * live (the TypeScript service resolves imports between them) and the editor only switches models.
 * With an awareness, the bindings publish the editor's selection and paint everyone else's
 * (`.yRemoteSelection-<clientId>`, `.yRemoteSelectionHead-<clientId>`).
 */
export class ModelRegistry {
  private readonly entries = new Map<string, { model: editor.ITextModel; binding: MonacoBinding }>();
  private readonly observer = () => this.sync();
  /** The editor the bindings track (y-monaco reads this set live). */
  private readonly editors = new Set<editor.IStandaloneCodeEditor>();

  constructor(
    private readonly monaco: Monaco,
    private readonly Binding: typeof MonacoBinding,
    private readonly doc: Y.Doc,
    private readonly awareness: Awareness | null = null,
  ) {
    this.sync();
    filesOf(doc).observe(this.observer);
  }

  get(path: string): editor.ITextModel | undefined {
    return this.entries.get(path)?.model;
  }

  private sync() {
    const files = filesOf(this.doc);
    for (const [path, entry] of this.entries) {
      // A delete removes the path; a rename replaces the Y.Text under it: either way the binding goes.
      if (files.get(path) !== entry.binding.ytext) this.drop(path);
    }
    for (const [path, text] of files) {
      if (this.entries.has(path)) continue;
      const uri = uriOf(this.monaco, path);
      const model = this.monaco.editor.getModel(uri) ?? this.monaco.editor.createModel('', languageOf(path), uri);
      model.setValue(text.toString());
      this.entries.set(path, { model, binding: this.bind(text, model) });
    }
  }

  private bind(text: Y.Text, model: editor.ITextModel): MonacoBinding {
    return new this.Binding(text, model, this.editors, this.awareness);
  }

  /**
   * The editor was (re)mounted. y-monaco subscribes to an editor's cursor and to awareness only
   * for the editors it has when a binding is made, so every binding is made again here.
   */
  attachEditor(ed: editor.IStandaloneCodeEditor) {
    this.editors.clear();
    this.editors.add(ed);
    for (const entry of this.entries.values()) {
      entry.binding.destroy();
      entry.binding = this.bind(entry.binding.ytext, entry.model);
    }
  }

  private drop(path: string) {
    const entry = this.entries.get(path);
    if (!entry) return;
    entry.binding.destroy();
    entry.model.dispose();
    this.entries.delete(path);
  }

  destroy() {
    filesOf(this.doc).unobserve(this.observer);
    for (const path of [...this.entries.keys()]) this.drop(path);
  }
}
