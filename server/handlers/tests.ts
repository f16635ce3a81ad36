import type { TestsResultPayload } from '@/lib/protocol';
import type { Session, SessionStore } from '../sessions/session-store';
import type { HandlerGroup } from '../edge/types';
import { joined } from './membership';

export interface TestsContext {
  sessions: SessionStore;
  /** Each session's last finished run, for people who join after it (this process only; handlers/session.ts). */
  lastTestRun: Pick<WeakMap<Session, TestsResultPayload>, 'set'>;
}

/** `tests:result`: in-browser test results, validated, then shown to everyone else in the session. */
export function testsHandlers({ sessions, lastTestRun }: TestsContext): HandlerGroup {
  return {
    name: 'tests',
    events: {
      'tests:result': (socket, report) => {
        const session = joined(sessions, socket);
        socket.to(session.id).emit('tests:result', report);
        if (report.status !== 'running') lastTestRun.set(session, report);
      },
    },
  };
}
