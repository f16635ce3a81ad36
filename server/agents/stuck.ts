import type { TestsResultPayload } from '@/lib/protocol';

/**
 * Stuck detection, as OpenHands does it: an agent that proposes the same edit it proposed in an
 * earlier round, or gets the same failure three rounds in a row, is making no progress.
 *
 * Invariants: `edit` and `failure` are called at most once per round each; the failure streak
 * counts consecutive rounds only (a different failure in between starts it again).
 */
export class StuckDetector {
  private readonly edits = new Set<string>();
  private lastFailure: string | null = null;
  private streak = 0;

  constructor(private readonly sameFailureLimit = 3) {}

  /** The round's edit (its applied blocks); a reason when it repeats an earlier round's. */
  edit(signature: string): string | null {
    if (this.edits.has(signature)) return 'The model proposed the same edit as in an earlier round.';
    this.edits.add(signature);
    return null;
  }

  /** The round's test failures; a reason when the same failure came `sameFailureLimit` times in a row. */
  failure(signature: string): string | null {
    this.streak = signature === this.lastFailure ? this.streak + 1 : 1;
    this.lastFailure = signature;
    return this.streak >= this.sameFailureLimit ? `The same tests failed the same way ${this.streak} rounds in a row.` : null;
  }
}

/** What identifies an edit: its blocks, in order. */
export function editSignature(blocks: ReadonlyArray<{ path: string; search: string; replace: string }>): string {
  return JSON.stringify(blocks.map((b) => [b.path, b.search, b.replace]));
}

/** What identifies a failure: each failing test (or file error) and its message, sorted; durations and stacks left out. */
export function failureSignature(report: TestsResultPayload): string {
  const parts: string[] = [];
  for (const f of report.files) {
    for (const e of f.errors) parts.push(`${f.path}!${e.message}`);
    for (const t of f.tests) if (t.status === 'failed' || t.status === 'timedout') parts.push(`${f.path}›${t.name.join('›')}:${t.status}:${t.error?.message ?? ''}`);
  }
  return parts.sort().join('\n');
}
