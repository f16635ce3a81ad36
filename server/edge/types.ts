import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import type { CLIENT_EVENT_SCHEMAS, ClientEventName, ClientToServerEvents, LinkRole, Role, ServerToClientEvents } from '@/lib/protocol';

/** What the edge and the handlers know about one connection. */
export interface SocketData {
  hello: boolean;
  /** The person's anonymous identity (cookie), or a fresh one for a client without the cookie. */
  identity: string;
  /** Its public id, as presence shows it. */
  pid: string;
  sessionId?: string;
  role?: Role;
  /** The share link this socket joined with (not the owner's): revoking it closes the socket's session. */
  link?: LinkRole;
}

export type Io = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type FlintSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** An event's payload once its schema has parsed it (defaults filled, strings trimmed). */
export type Parsed<E extends ClientEventName> = z.output<(typeof CLIENT_EVENT_SCHEMAS)[E]>;

/**
 * Answers one client event: runs only after the edge checked hello, arity, schema and role.
 * The value returned is the acknowledgement's `data`; a thrown `FlintError` is the typed error.
 */
export type EventHandler<E extends ClientEventName> = (socket: FlintSocket, payload: Parsed<E>) => unknown;

export type EventHandlers = { [E in ClientEventName]?: EventHandler<E> };

/** One module of `server/handlers/`: the events it answers, and what it undoes when a socket goes. */
export interface HandlerGroup {
  name: string;
  events: EventHandlers;
  disconnect?: (socket: FlintSocket) => void;
}
