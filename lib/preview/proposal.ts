import type { HunkView } from '@/lib/collab/thread';

/**
 * The workspace as it would be with the pending proposal accepted: every pending hunk that
 * places in the current text (the review's own placement) applied to a copy of the files. The
 * files themselves are not touched; nothing is accepted.
 */
export function withProposal(files: ReadonlyMap<string, string>, hunks: readonly HunkView[]): Map<string, string> {
  const out = new Map(files);
  const byPath = new Map<string, Array<{ start: number; end: number; text: string }>>();
  for (const h of hunks) {
    if (h.view !== 'pending' || !h.placement?.ok) continue;
    const list = byPath.get(h.path) ?? [];
    list.push({ start: h.placement.start, end: h.placement.end, text: h.placement.text });
    byPath.set(h.path, list);
  }
  for (const [path, edits] of byPath) {
    let text = out.get(path) ?? '';
    // From the end, so earlier offsets stay valid; overlapping hunks: the later-starting one wins its range.
    edits.sort((a, b) => b.start - a.start);
    let limit = Infinity;
    for (const e of edits) {
      if (e.end > limit) continue;
      text = text.slice(0, e.start) + e.text + text.slice(e.end);
      limit = e.start;
    }
    out.set(path, text);
  }
  return out;
}

/** How many hunks would change the preview. */
export function proposalSize(hunks: readonly HunkView[]): number {
  return hunks.filter((h) => h.view === 'pending' && h.placement?.ok).length;
}
