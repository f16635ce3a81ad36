import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { tokenize } from './tokens';
import { editResponse, generatedResponse } from './responses';
import type { SimRecordedRequest, SimRule, SimStats } from './rules';

/**
 * The simulator's Responses API WebSocket mode: `GET /v1/responses` upgraded to a WebSocket.
 * Each turn is a client `response.create` (the Responses create body, no `stream`); the answer
 * streams back as `response.created`, `response.output_text.delta`…, `response.output_text.done`,
 * `response.completed`. A failure is an `error` event `{type:'error', status, error:{code,
 * message, param?}}` (a 429 also carries `headers: {'retry-after'}`).
 *
 * Like OpenAI with `store: false`, a socket remembers the responses it produced, so a follow-up
 * may send only its new input plus `previous_response_id`; an id from another socket is
 * `previous_response_not_found`. One turn at a time per socket (a second `response.create`
 * while one runs is an error). A socket older than `maxAgeMs` gets
 * `websocket_connection_limit_reached` and is closed.
 *
 * Faults come from the same rules as Chat Completions: status, drop (socket destroyed),
 * stall, malformed (a frame that is not JSON), slow TTFT.
 */

interface Deps {
  apiKey?: string;
  maxAgeMs?: number;
  defaults: { tokensPerSecond: number; ttftMs: number };
  stats: SimStats;
  takeRule(prompt: string): SimRule | undefined;
  record(r: SimRecordedRequest): void;
}

type Item = { role: string; content: unknown };

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && 'text' in p ? String(p.text) : '')).join('');
  return '';
}

function toItems(input: unknown): Item[] | null {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  if (!Array.isArray(input)) return null;
  const items: Item[] = [];
  for (const i of input) {
    if (!i || typeof i !== 'object' || typeof (i as Item).role !== 'string') return null;
    items.push({ role: (i as Item).role, content: (i as Item).content });
  }
  return items;
}

export function attachResponsesWebSocket(server: http.Server, deps: Deps): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
  const { stats } = deps;

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== '/v1/responses') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (deps.apiKey && req.headers.authorization !== `Bearer ${deps.apiKey}`) {
      const body = JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_api_key', code: 'invalid_api_key' } });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
  });

  function serve(ws: WebSocket) {
    stats.wsConnections++;
    /** Response id → the whole conversation up to and including that response (this socket only). */
    const memory = new Map<string, Item[]>();
    let turn: { stop(how: 'aborted'): void } | null = null;
    const send = (event: Record<string, unknown>) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(event));
    const error = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) =>
      send({ type: 'error', status, error: { type: status === 429 ? 'requests' : 'invalid_request_error', code, message }, ...extra });

    const ageTimer = deps.maxAgeMs
      ? setTimeout(() => {
          error(400, 'websocket_connection_limit_reached', 'Responses websocket connection limit reached (60 minutes). Create a new websocket connection to continue.');
          ws.close(1000, 'connection limit reached');
        }, deps.maxAgeMs)
      : undefined;
    ws.on('close', () => {
      clearTimeout(ageTimer);
      turn?.stop('aborted');
    });

    ws.on('message', (data, isBinary) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(isBinary ? '' : data.toString('utf8'));
        if (!event || typeof event !== 'object') throw new Error('not an object');
      } catch {
        return error(400, 'invalid_json', 'The message is not a JSON object.');
      }
      if (event.type !== 'response.create') return error(400, 'unknown_event', `Unknown event type ${JSON.stringify(String(event.type)).slice(0, 60)}.`);
      deps.record({ transport: 'ws', path: '/v1/responses', body: structuredClone(event) });
      if (turn) return error(400, 'response_in_progress', 'A response is already in progress on this connection.');
      if (typeof event.model !== 'string') return error(400, 'missing_required_parameter', 'model is required.', { param: 'model' });
      if ('stream' in event || 'background' in event) return error(400, 'unsupported_parameter', 'stream and background are not used over WebSocket.');
      const input = toItems(event.input);
      if (!input) return error(400, 'invalid_value', 'input must be a string or a list of messages.', { param: 'input' });
      let history: Item[] = [];
      if (event.previous_response_id !== undefined) {
        const prev = memory.get(String(event.previous_response_id));
        if (!prev) return error(400, 'previous_response_not_found', `Previous response with id '${String(event.previous_response_id)}' not found.`, { param: 'previous_response_id' });
        history = prev;
      }
      stats.requests++;
      const prompt = [...input].reverse().find((i) => i.role === 'user');
      const promptText = prompt ? textOf(prompt.content) : '';
      const rule = deps.takeRule(promptText);
      const fault = rule?.fault;
      if (fault?.type === 'status') {
        const code = fault.status === 429 ? 'rate_limit_exceeded' : fault.status === 401 ? 'invalid_api_key' : 'server_error';
        return error(fault.status, code, `Simulated ${fault.status}`, fault.retryAfter !== undefined ? { headers: { 'retry-after': String(fault.retryAfter) } } : {});
      }
      const text = rule?.text ?? (rule?.tokens === undefined ? editResponse(promptText) : null) ?? generatedResponse(promptText.trim().split('\n').pop() ?? '', rule?.tokens);
      const tokens = tokenize(text);
      const ttftMs = rule?.ttftMs ?? deps.defaults.ttftMs;
      const msPerToken = 1000 / (rule?.tokensPerSecond ?? deps.defaults.tokensPerSecond);
      const id = `resp_${randomUUID().replace(/-/g, '')}`;
      const itemId = `msg_${randomUUID().replace(/-/g, '')}`;
      const inputTokens = [...history, ...input].reduce((n, i) => n + tokenize(textOf(i.content)).length, 0);
      const base = { id, object: 'response', created_at: Math.floor(Date.now() / 1000), model: event.model, previous_response_id: event.previous_response_id ?? null };
      let seq = 0;
      send({ type: 'response.created', sequence_number: seq++, response: { ...base, status: 'in_progress', output: [] } });
      stats.active++;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      const stop = (how: 'completed' | 'aborted') => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stats.active--;
        stats[how]++;
        turn = null;
      };
      turn = { stop };
      const start = performance.now();
      let i = 0;
      let stalled = false;
      const tick = () => {
        if (done) return;
        const now = performance.now();
        while (i < tokens.length && start + ttftMs + i * msPerToken <= now) {
          if (fault && i === fault.afterTokens) {
            if (fault.type === 'drop') {
              stop('aborted');
              ws.terminate();
              return;
            }
            if (fault.type === 'malformed' && !stalled) {
              stalled = true; // reused as "already injected"
              if (ws.readyState === ws.OPEN) ws.send('{"type":"response.output_text.delta","delta":');
            }
            if (fault.type === 'stall' && !stalled) {
              stalled = true;
              timer = setTimeout(tick, fault.ms);
              return;
            }
          }
          send({ type: 'response.output_text.delta', sequence_number: seq++, item_id: itemId, output_index: 0, content_index: 0, delta: tokens[i] });
          i++;
        }
        if (i >= tokens.length) {
          const output = [{ id: itemId, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] }];
          send({ type: 'response.output_text.done', sequence_number: seq++, item_id: itemId, output_index: 0, content_index: 0, text });
          send({
            type: 'response.completed',
            sequence_number: seq++,
            response: { ...base, status: 'completed', output, usage: { input_tokens: inputTokens, output_tokens: tokens.length, total_tokens: inputTokens + tokens.length } },
          });
          memory.set(id, [...history, ...input, { role: 'assistant', content: text }]);
          stop('completed');
          return;
        }
        timer = setTimeout(tick, Math.max(0, start + ttftMs + i * msPerToken - performance.now()));
      };
      timer = setTimeout(tick, ttftMs);
    });
  }

  return {
    close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
