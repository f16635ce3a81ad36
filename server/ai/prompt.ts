import type { ChatMessage } from '../inference/types';
import type { Selection } from '@/lib/protocol';

/**
 * Builds the upstream messages for one turn. In this first path the model's answer is inserted
 * at the person's cursor (or replaces the selection), so it is asked for code only.
 */
export const SYSTEM_PROMPT = [
  'You are Flint, a coding assistant inside a live editor.',
  'Your answer is inserted into the open file at the cursor marker <|cursor|> (replacing the selection, if any).',
  'Reply with the code to insert and nothing else: no explanations, no Markdown fences.',
].join(' ');

export function buildMessages(input: { prompt: string; path: string; content: string; selection?: Selection }): ChatMessage[] {
  const { content, selection } = input;
  const at = Math.min(selection?.start ?? content.length, content.length);
  const end = Math.min(selection?.end ?? at, content.length);
  const marked = `${content.slice(0, at)}<|cursor|>${end > at ? `<|selection|>${content.slice(at, end)}<|/selection|>` : ''}${content.slice(end)}`;
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: `File ${input.path}:\n${marked}\n\nRequest: ${input.prompt}` },
  ];
}
