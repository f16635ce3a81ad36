import type { JoinResult, Response } from '@/lib/protocol';
import type { RuntimeContext } from './context';
import type { DocSync } from './doc-sync';
import type { Presence } from './presence';
import { hello } from './requests';

/**
 * On every (re)connect: hello (the server's limits), join (tiers, role, the whole document), the
 * server's document in, then what it lacks out. A refusal on the way is fatal for the page.
 */
export async function join(ctx: RuntimeContext, sync: DocSync, presence: Presence, sessionId: string, token: string | undefined) {
  const { socket, store } = ctx;
  const state = store.getState();
  state.setConnection('connecting');
  const hi = await hello(socket);
  if (!hi.ok) return state.setFatal(hi.error);
  sync.limits = hi.data.limits ?? null;
  state.setConnection('joining');
  const joined = await new Promise<Response<JoinResult>>((resolve) =>
    socket.emit('session:join', token ? { sessionId, token } : { sessionId }, resolve),
  );
  if (!joined.ok) return state.setFatal(joined.error);
  store.setState({ tiers: joined.data.tiers });
  state.setRole(joined.data.role, joined.data.pid);
  // Edits made while disconnected: what the server does not have yet.
  const missing = sync.applyJoinState(new Uint8Array(joined.data.state));
  if (!missing) return;
  ctx.joined = true;
  presence.announce();
  state.setConnection('ready');
  sync.joined(missing);
}
