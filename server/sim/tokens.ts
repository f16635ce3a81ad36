/**
 * Splits text into model-like tokens: a run of up to four word characters (with its leading
 * whitespace), a single punctuation mark, or a newline. Close enough to BPE for pacing a stream
 * (≈4 characters per token on code) without pulling a tokenizer into the simulator.
 * Invariant: `tokenize(s).join('') === s`.
 */
export function tokenize(text: string): string[] {
  return text.match(/[ \t]*\w{1,4}|[ \t]*[^\w\s]|\n|[ \t]+/g) ?? [];
}
