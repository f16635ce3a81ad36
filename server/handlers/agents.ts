import type { SessionStore } from '../sessions/session-store';
import type { HandlerGroup } from '../edge/types';
import type { AgentService } from '../agents/agent-service';
import { joined } from './membership';

export interface AgentsContext {
  sessions: SessionStore;
  agents: AgentService;
}

/** `agent:start|stop|result|open`: background agents (server/agents/CONTEXT.md). */
export function agentsHandlers({ sessions, agents }: AgentsContext): HandlerGroup {
  return {
    name: 'agents',
    events: {
      'agent:start': (socket, payload) => ({ agentIds: agents.start(socket, joined(sessions, socket), payload) }),
      'agent:stop': (socket, { agentId }) => {
        agents.stop(joined(sessions, socket), agentId);
        return {};
      },
      'agent:result': (socket, { agentId, round, report }) => {
        agents.result(socket, joined(sessions, socket), agentId, round, report);
        return {};
      },
      'agent:open': (socket, { agentId }) => ({ turnId: agents.open(joined(sessions, socket), agentId) }),
    },
    // The test runs this browser was asked for go to another one (or wait).
    disconnect: (socket) => agents.disconnect(socket),
  };
}
