import type { SessionStore } from '../sessions/session-store';
import type { HandlerGroup } from '../edge/types';
import { joined } from './membership';

export interface TestsContext {
  sessions: SessionStore;
}

/** `tests:result`: in-browser test results, validated, then shown to everyone else in the session. */
export function testsHandlers({ sessions }: TestsContext): HandlerGroup {
  return {
    name: 'tests',
    events: {
      'tests:result': (socket, report) => {
        const session = joined(sessions, socket);
        socket.to(session.id).emit('tests:result', report);
        // The last finished run is shown to people who join later, on any process (handlers/session.ts).
        if (report.status !== 'running') sessions.recordTestRun(session, report);
      },
    },
  };
}
