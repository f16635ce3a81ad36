import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { FlintError } from '../errors';
import type { AiController } from '../ai/ai-controller';
import type { Session, SessionStore } from '../sessions/session-store';
import type { HandlerGroup } from '../edge/types';
import { joined } from './membership';

export interface AiContext {
  sessions: SessionStore;
  ai: Pick<AiController, 'start' | 'report'>;
  /** Stops a stream wherever it runs (collab/peer-ai.ts). */
  interrupt: (session: Session, streamId: string) => Promise<void>;
  limits: { maxPromptChars: number; promptsPerMinute: number };
}

/** `ai:*`: prompts (checked against the prompt limits, then `AiController.start`), interrupts, browser timings. */
export function aiHandlers({ sessions, ai, interrupt, limits }: AiContext): HandlerGroup {
  const promptLimiter = new RateLimiterMemory({ points: limits.promptsPerMinute, duration: 60 });
  return {
    name: 'ai',
    events: {
      'ai:prompt': async (socket, payload) => {
        const session = joined(sessions, socket);
        if (payload.prompt.length > limits.maxPromptChars) {
          throw new FlintError(
            'payloadTooLarge',
            `The prompt is ${payload.prompt.length.toLocaleString('en')} characters; this server accepts at most ${limits.maxPromptChars.toLocaleString('en')} (FLINT_MAX_PROMPT_CHARS). Shorten it, or @-mention files instead of pasting them.`,
          );
        }
        try {
          await promptLimiter.consume(socket.handshake.address);
        } catch (res) {
          if (!(res instanceof RateLimiterRes)) throw res;
          throw new FlintError(
            'rateLimited',
            `Too many prompts: this server takes ${limits.promptsPerMinute} a minute from one address (FLINT_PROMPTS_PER_MINUTE): try again in ${Math.ceil(res.msBeforeNext / 1000)} s.`,
          );
        }
        return { streamId: ai.start(session, payload) };
      },

      'ai:report': (socket, { browserTtftMs }) => {
        joined(sessions, socket);
        ai.report(browserTtftMs);
      },

      'ai:interrupt': async (socket, { streamId }) => {
        await interrupt(joined(sessions, socket), streamId);
        return { streamId };
      },
    },
  };
}
