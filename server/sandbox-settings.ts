import { loadConfig } from './config';

let cached: ReturnType<typeof loadConfig>['sandbox'] | undefined;

/**
 * The sandbox settings for the Next.js side of this process (the session page and the
 * `/sandbox` route): the same configuration `main.ts` validated at start, read once.
 */
export function sandboxSettings(): { origin?: string; appOrigins: string[] } {
  cached ??= loadConfig().sandbox;
  return cached;
}
