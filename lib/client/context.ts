import type * as Y from 'yjs';
import type { Selection } from '@/lib/protocol';
import { filesOf } from '@/lib/collab/workspace-doc';
import { yTextTarget, type TextTarget } from '@/lib/collab/thread';
import type { IdeStoreApi } from '@/lib/stores/ide-store';
import type { FlintSocket } from './connection';
import type { EditorBridge } from './types';

/** Origin of every change applied from the server (document and presence): never sent back. */
export const REMOTE = Symbol('remote');

/**
 * What the parts of a `SessionRuntime` share. Created once by the runtime; `editor`, `joined`
 * and `disposed` change over its life, everything else is fixed.
 */
export interface RuntimeContext {
  readonly socket: FlintSocket;
  readonly store: IdeStoreApi;
  readonly doc: Y.Doc;
  /** The editor view, once Monaco is loaded (`attachEditor`). */
  editor: EditorBridge | null;
  /** Hello and join answered on the current connection. */
  joined: boolean;
  disposed: boolean;
  /** Asks for the runtime's `frame()` on the next animation frame (at most one is pending). */
  requestFrame(): void;
  /** Called by `dispose()`: every listener a part added removes itself here. */
  readonly off: Array<() => void>;
}

export function canEdit(ctx: RuntimeContext): boolean {
  const role = ctx.store.getState().role;
  return role === 'owner' || role === 'editor';
}

/** The person's selection in `path`; the end of the file before the editor has loaded. */
export function selectionIn(ctx: RuntimeContext, path: string): Selection {
  if (ctx.editor) return ctx.editor.selection(path);
  const end = filesOf(ctx.doc).get(path)?.length ?? 0;
  return { start: end, end };
}

/** Where review actions write: through the editor (one undo step there), else the document. */
export function editTarget(ctx: RuntimeContext): TextTarget {
  return ctx.editor?.target() ?? yTextTarget(ctx.doc);
}
