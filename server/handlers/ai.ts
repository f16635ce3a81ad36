import { RateLimiterRes } from 'rate-limiter-flexible';
import type { SharedLimits } from '../collab/shared-limits';
import { FlintError } from '../errors';
import type { AiController } from '../ai/ai-controller';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PromptPayload } from '@/lib/protocol';
import { readThread } from '@/lib/collab/thread';
import type { Session, SessionStore } from '../sessions/session-store';
import type { HandlerGroup } from '../edge/types';
import { joined } from './membership';

export interface AiContext {
  sessions: SessionStore;
  ai: Pick<AiController, 'start' | 'retry' | 'report'>;
  /** Stops a stream wherever it runs (collab/peer-ai.ts). */
  interrupt: (session: Session, streamId: string) => Promise<void>;
  limits: { maxPromptChars: number; promptsPerMinute: number };
  /** The prompt rate limit holds across every process with Redis. */
  shared: SharedLimits;
}

/** How long a `sendNow` waits for another process to end the turn it runs. */
const SEND_NOW_WAIT_MS = 5_000;

/** `ai:*`: prompts (checked against the prompt limits, then `AiController.start`), retries of failed blocks, interrupts, browser timings. */
export function aiHandlers({ sessions, ai, interrupt, limits, shared }: AiContext): HandlerGroup {
  const promptLimiter = shared.rateLimiter('prompts', limits.promptsPerMinute, 60);
  const consumePrompt = async (address: string): Promise<void> => {
    try {
      await promptLimiter.consume(address);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      throw new FlintError(
        'rateLimited',
        `Too many prompts: this server takes ${limits.promptsPerMinute} a minute from one address (FLINT_PROMPTS_PER_MINUTE): try again in ${Math.ceil(res.msBeforeNext / 1000)} s.`,
      );
    }
  };
  /**
   * `AiController.start`; with `sendNow` while another process runs the session's turn, that
   * turn (the one the document shows streaming) is interrupted where it runs, and this one
   * starts once that process has recorded it and let go of the session's stream.
   */
  const startHere = async (session: Session, payload: PromptPayload): Promise<string> => {
    const deadline = Date.now() + SEND_NOW_WAIT_MS;
    let interrupted = false;
    for (;;) {
      try {
        return await ai.start(session, payload);
      } catch (err) {
        if (!payload.sendNow || !(err instanceof FlintError) || err.code !== 'busy' || Date.now() > deadline) throw err;
        const running = readThread(session.doc).find((t) => t.status === 'streaming');
        if (running && !interrupted) {
          interrupted = true;
          await interrupt(session, running.id).catch(() => {});
        }
        await sleep(50);
      }
    }
  };
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
        await consumePrompt(socket.handshake.address);
        return { streamId: await startHere(session, payload) };
      },

      // A retry is a prompt too (the failure report): the same rate limit.
      'ai:retry': async (socket, { turnId, auto }) => {
        const session = joined(sessions, socket);
        await consumePrompt(socket.handshake.address);
        return { streamId: await ai.retry(session, turnId, auto) };
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
