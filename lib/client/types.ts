import type { Selection, TierName } from '@/lib/protocol';
import type { TextTarget } from '@/lib/collab/thread';

/** One region of the live diff: `[start, end)` of the file is removed and `added` takes its place. */
export interface DiffItem {
  key: string;
  kind: 'live' | 'pending';
  start: number;
  end: number;
  added: string;
}

/** What the editor view provides once Monaco is loaded. */
export interface EditorBridge {
  /** The person's selection (or cursor) in `path`, as offsets. */
  selection(path: string): Selection;
  /** Shows the live diff. Called at most once per animation frame, with every file's items. */
  paint(items: ReadonlyMap<string, DiffItem[]>): void;
  /** Writes through the editor's models, so an accept is one undo step there. */
  target(): TextTarget;
  /** Opens `path` and scrolls to `offset`. */
  reveal(path: string, offset: number): void;
}

export interface PromptOptions {
  path: string;
  selection?: Selection;
  mode: TierName;
  mentions?: string[];
  openFiles?: string[];
  autoApply?: boolean;
  /** Redirect: stop the running turn and run this one now, with the partial answer in context. */
  sendNow?: boolean;
}
