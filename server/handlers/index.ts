import type { HandlerGroup } from '../edge/types';
import { agentsHandlers, type AgentsContext } from './agents';
import { aiHandlers, type AiContext } from './ai';
import { documentHandlers, type DocumentContext } from './document';
import { projectsHandlers, type ProjectsContext } from './projects';
import { presenceHandlers, type PresenceContext } from './presence';
import { reviewHandlers, type ReviewContext } from './review';
import { sessionHandlers, type SessionContext } from './session';
import { sharingHandlers, type SharingContext } from './sharing';
import { testsHandlers, type TestsContext } from './tests';
import { packagesHandlers, type PackagesContext } from './packages';

/** Everything the handler groups need together; each group takes only its own part. */
export type HandlerContext = SessionContext & PresenceContext & SharingContext & DocumentContext & AiContext & TestsContext & ReviewContext & ProjectsContext & AgentsContext & PackagesContext;

/**
 * The one table of handler groups the edge serves (edge/dispatch.ts): every protocol event is
 * answered by exactly one of them, checked at start. The order is the order of their
 * `disconnect` steps (presence leaves before hunk claims are released).
 */
export function createHandlers(ctx: HandlerContext): HandlerGroup[] {
  return [
    sessionHandlers(ctx),
    presenceHandlers(ctx),
    sharingHandlers(ctx),
    documentHandlers(ctx),
    aiHandlers(ctx),
    testsHandlers(ctx),
    reviewHandlers(ctx),
    projectsHandlers(ctx),
    agentsHandlers(ctx),
    packagesHandlers(ctx),
  ];
}
