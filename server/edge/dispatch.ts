import type { z } from 'zod';
import { CLIENT_EVENT_SCHEMAS, protocolError, type ClientEventName, type ProtocolError, type Response } from '@/lib/protocol';
import { authorize } from '../auth/access';
import { FlintError } from '../errors';
import type { Metrics } from '../metrics';
import type { EventHandler, FlintSocket, HandlerGroup, Io } from './types';

export interface DispatchOptions {
  metrics: Metrics;
  log: (msg: string, err?: unknown) => void;
}

const KNOWN_EVENTS = new Set<string>(Object.keys(CLIENT_EVENT_SCHEMAS));

/**
 * Serves every client event on every connection through `on()`: hello first, one payload,
 * validated with its zod schema, the role authorized, then the group's handler; errors are
 * answered with a typed `Response` (or `protocol:error` when the client sent no acknowledgement
 * callback) and never carry a stack.
 */
export function serveEvents(io: Io, groups: readonly HandlerGroup[], opts: DispatchOptions): void {
  const table = handlerTable(groups);
  io.on('connection', (socket) => {
    socket.data.hello = false;
    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const error = protocolError('unknownEvent', `unknown event ${JSON.stringify(String(event).slice(0, 64))}`);
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack({ ok: false, error });
      else socket.emit('protocol:error', error);
    });
    for (const [event, handler] of table) on(socket, event, handler, opts);
    socket.on('disconnect', () => {
      for (const group of groups) group.disconnect?.(socket);
    });
  });
}

/** Every protocol event answered by exactly one group, or Flint does not start. */
function handlerTable(groups: readonly HandlerGroup[]): Array<[ClientEventName, EventHandler<ClientEventName>]> {
  const table = new Map<ClientEventName, EventHandler<ClientEventName>>();
  for (const group of groups) {
    for (const [event, handler] of Object.entries(group.events) as Array<[ClientEventName, EventHandler<ClientEventName>]>) {
      if (table.has(event)) throw new Error(`two handler groups answer ${event} (server/handlers/index.ts)`);
      table.set(event, handler);
    }
  }
  const missing = [...KNOWN_EVENTS].filter((e) => !table.has(e as ClientEventName));
  if (missing.length) throw new Error(`no handler group answers ${missing.join(', ')} (server/handlers/index.ts)`);
  return [...table];
}

function on<E extends ClientEventName>(socket: FlintSocket, event: E, handler: EventHandler<E>, { metrics, log }: DispatchOptions) {
  // socket.io's typed `on` cannot express "any arity"; the edge checks arity itself.
  (socket.on as (ev: string, fn: (...args: unknown[]) => void) => void)(event, async (...args: unknown[]) => {
    const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: Response<unknown>) => void) : undefined;
    const reply = (r: Response<unknown>) => {
      if (ack) ack(r);
      else if (!r.ok) socket.emit('protocol:error', r.error);
    };
    const fail = (e: ProtocolError) => {
      metrics.protocolErrors.inc({ code: e.code });
      reply({ ok: false, error: e });
    };
    if (event !== 'session:hello' && !socket.data.hello) return fail(protocolError('helloRequired', undefined, event));
    if (args.length !== 1) return fail(protocolError('badRequest', `expected one payload, got ${args.length}`, event));
    const parsed = CLIENT_EVENT_SCHEMAS[event].safeParse(args[0]);
    if (!parsed.success) {
      const { code, message } = describeIssues(parsed.error);
      return fail(protocolError(code, message, event));
    }
    try {
      authorize(event, socket.data.role);
      const data = await handler(socket, parsed.data as Parameters<EventHandler<E>>[1]);
      reply({ ok: true, data: data ?? {} });
    } catch (err) {
      if (err instanceof FlintError) return fail(err.toProtocol(event));
      log(`handler ${event} failed`, err);
      fail(protocolError('internal', undefined, event));
    }
  });
}

/** Summarises zod issues in one line a developer can act on, without echoing the payload. */
function describeIssues(error: z.ZodError): { code: 'badRequest' | 'payloadTooLarge'; message: string } {
  const tooBig = error.issues.some((i) => i.code === 'too_big');
  const message = error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return { code: tooBig ? 'payloadTooLarge' : 'badRequest', message: message.slice(0, 300) };
}
