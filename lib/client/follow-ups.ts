import { selectionIn, type RuntimeContext } from './context';
import type { TurnStream } from './turn-stream';
import type { PromptOptions } from './types';

/** Follow-ups queued while a turn streams, kept in the store; the next runs when this tab's turn is done. */
export class FollowUps {
  constructor(
    private readonly ctx: RuntimeContext,
    private readonly stream: TurnStream,
  ) {}

  queue(text: string) {
    const s = this.ctx.store.getState();
    s.setFollowups([...s.followups, { id: crypto.randomUUID(), text }]);
  }

  edit(id: string, text: string) {
    const s = this.ctx.store.getState();
    s.setFollowups(s.followups.map((f) => (f.id === id ? { ...f, text } : f)));
  }

  remove(id: string) {
    const s = this.ctx.store.getState();
    s.setFollowups(s.followups.filter((f) => f.id !== id));
  }

  /** Runs the first queued follow-up against the file open now. */
  async runNext() {
    const s = this.ctx.store.getState();
    const next = s.followups[0];
    if (!next || !s.openPath || this.stream.live || this.stream.sending) return;
    s.setFollowups(s.followups.slice(1));
    const r = await this.stream.prompt(next.text, this.promptOptions(next.text));
    if (!r.ok) this.ctx.store.getState().setFollowups([next, ...this.ctx.store.getState().followups]);
  }

  /** Everything a prompt carries besides its text, from the current editor state. */
  promptOptions(text: string, extra: Partial<PromptOptions> = {}): PromptOptions {
    const s = this.ctx.store.getState();
    const path = s.openPath!;
    const files = new Set(s.files);
    const mentions = [...text.matchAll(/(?:^|\s)@([^\s]+)/g)].map((m) => m[1].replace(/[.,;:!?)]+$/, '')).filter((p) => files.has(p));
    return {
      path,
      selection: selectionIn(this.ctx, path),
      mode: s.mode,
      mentions: [...new Set(mentions)].slice(0, 32),
      openFiles: s.recentPaths.filter((p) => p !== path && files.has(p)).slice(0, 8),
      autoApply: s.autoApply,
      ...extra,
    };
  }
}
