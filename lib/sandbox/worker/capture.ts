import type { ConsoleEntry } from '../protocol';

/**
 * Console capture for a sandbox worker: every call is formatted and forwarded at once (so what
 * a runaway test printed before it was killed is not lost), until `maxChars` have been sent;
 * after that calls are only counted. A flood therefore costs bounded memory and messages.
 */
export function captureConsole(
  target: Console,
  maxChars: number,
  format: (args: unknown[]) => string,
  send: (entry: ConsoleEntry) => void,
  currentTest: () => string | undefined,
): { dropped(): number } {
  let used = 0;
  let dropped = 0;
  const levels = ['log', 'info', 'warn', 'error', 'debug'] as const;
  for (const level of levels) {
    (target as unknown as Record<string, unknown>)[level] = (...args: unknown[]) => {
      if (used >= maxChars) {
        dropped += 1;
        return;
      }
      let text: string;
      try {
        text = format(args);
      } catch {
        text = args.map(String).join(' ');
      }
      const room = Math.min(maxChars - used, 4_000);
      if (text.length > room) {
        text = text.slice(0, Math.max(0, room - 1)) + '…';
      }
      used += Math.max(1, text.length);
      const testId = currentTest();
      send(testId === undefined ? { level, text } : { level, text, testId });
    };
  }
  return { dropped: () => dropped };
}

/** ANSI colour codes, which some formatters add, are noise in the browser. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
