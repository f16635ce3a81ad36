import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { tokenize } from './tokens';
import { editResponse, generatedResponse } from './responses';
import { attachResponsesWebSocket } from './responses-ws';
import { SimRule, type SimRecordedRequest, type SimStats } from './rules';

export { SimRule, type SimRecordedRequest, type SimStats };

/**
 * The fast-tier simulator: a real OpenAI-compatible HTTP server (`POST /v1/chat/completions`,
 * streaming SSE `data:` chunks ending in `[DONE]`) that replays scripted answers at a set time to
 * first token and tokens/s. Tests script it over HTTP (`/_sim/rules`) and read what it saw
 * (`/_sim/stats`), e.g. that Flint closed the connection on interrupt.
 *
 * Invariants:
 * - token i is written no earlier than start + ttft + i / tps; every token already due is written
 *   in one `write` (one SSE event each), so a slow timer never slows the stream's average rate;
 * - a closed connection stops the timer at once and is counted in `aborted`.
 */

export interface SimOptions {
  host?: string;
  port?: number;
  tokensPerSecond?: number;
  ttftMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Responses WebSocket mode: the simulator closes a socket this old (OpenAI: 60 minutes). */
  wsMaxAgeMs?: number;
}

/**
 * When one streamed Chat Completions answer went out, for benchmarks (`GET /_sim/timings`,
 * `?match=<rule match>` for one rule's answers):
 * times are epoch milliseconds with sub-millisecond precision (`performance.timeOrigin +
 * performance.now()`), comparable with a browser's after a `GET /_sim/clock` calibration.
 */
export interface SimTiming {
  /** The `match` of the rule that answered, or null. */
  match: string | null;
  receivedAt: number;
  /** Flattened pairs `[at, charsSoFar, …]`: one per write that carried answer text. */
  writes: number[];
  /** When the connection closed (by either side), or null while it is open. */
  closedAt: number | null;
  outcome: 'completed' | 'aborted' | null;
}

/** Epoch milliseconds, sub-millisecond: the clock `/_sim/clock` and the timings use. */
export const simClock = () => performance.timeOrigin + performance.now();

export interface SimServer {
  url: string;
  port: number;
  stats(): SimStats;
  /** The last request bodies received, oldest first. */
  requests(): SimRecordedRequest[];
  /** Timings of the last 500 streamed answers, oldest first. */
  timings(): SimTiming[];
  addRule(rule: SimRule): void;
  clearRules(): void;
  close(): Promise<void>;
}

const ChatRequest = z.object({
  model: z.string(),
  messages: z.array(z.object({ role: z.string(), content: z.unknown() }).passthrough()).min(1),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().optional(),
}).passthrough();

function readBody(req: http.IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function apiError(res: http.ServerResponse, status: number, message: string, type: string, headers: Record<string, string> = {}) {
  sendJson(res, status, { error: { message, type, code: type } }, headers);
}

function lastUserText(messages: Array<{ role: string; content: unknown }>): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.map((p) => (p && typeof p === 'object' && 'text' in p ? String(p.text) : '')).join('');
    }
  }
  return '';
}

export async function startSimServer(opts: SimOptions = {}): Promise<SimServer> {
  const defaults = { tokensPerSecond: opts.tokensPerSecond ?? 1000, ttftMs: opts.ttftMs ?? 0 };
  let rules: SimRule[] = [];
  const stats: SimStats = { requests: 0, completed: 0, aborted: 0, active: 0, warmups: 0, connections: 0, wsConnections: 0 };
  const recorded: SimRecordedRequest[] = [];
  const timings: SimTiming[] = [];
  const record = (r: SimRecordedRequest) => {
    recorded.push(r);
    if (recorded.length > 50) recorded.shift();
  };

  function takeRule(prompt: string): SimRule | undefined {
    const i = rules.findIndex((r) => r.match === undefined || prompt.includes(r.match));
    if (i < 0) return undefined;
    const rule = rules[i];
    if (rule.times !== undefined) {
      if (rule.times <= 1) rules.splice(i, 1);
      else rules[i] = { ...rule, times: rule.times - 1 };
    }
    return rule;
  }

  async function handleChat(req: http.IncomingMessage, res: http.ServerResponse) {
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return apiError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
    }
    let body: z.infer<typeof ChatRequest>;
    try {
      const parsed = ChatRequest.safeParse(JSON.parse(await readBody(req)));
      if (!parsed.success) return apiError(res, 400, parsed.error.message, 'invalid_request_error');
      body = parsed.data;
      record({ transport: 'http', path: '/v1/chat/completions', body });
    } catch {
      return apiError(res, 400, 'Request body is not valid JSON.', 'invalid_request_error');
    }
    stats.requests++;
    const prompt = lastUserText(body.messages);
    const rule = takeRule(prompt);
    const lastLine = prompt.trim().split('\n').pop() ?? '';
    const fault = rule?.fault;
    if (fault?.type === 'status') {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      return apiError(res, fault.status, `Simulated ${fault.status}`, fault.status === 429 ? 'rate_limit_exceeded' : 'server_error', headers);
    }
    // A rule's text, else `tokens` of generated code, else an edit of the open file (Flint's requests).
    const text = rule?.text ?? (rule?.tokens === undefined ? editResponse(prompt) : null) ?? generatedResponse(lastLine, rule?.tokens);
    const tokens = tokenize(text);
    const ttftMs = rule?.ttftMs ?? defaults.ttftMs;
    const tps = rule?.tokensPerSecond ?? defaults.tokensPerSecond;
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const promptTokens = body.messages.reduce((n, m) => n + tokenize(typeof m.content === 'string' ? m.content : '').length, 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: tokens.length, total_tokens: promptTokens + tokens.length };

    if (!body.stream) {
      setTimeout(() => {
        stats.completed++;
        sendJson(res, 200, {
          id, object: 'chat.completion', created, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage,
        });
      }, ttftMs + (tokens.length * 1000) / tps);
      return;
    }

    const chunk = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    stats.active++;
    const timing: SimTiming = { match: rule?.match ?? null, receivedAt: simClock(), writes: [], closedAt: null, outcome: null };
    timings.push(timing);
    if (timings.length > 500) timings.shift();
    let sentChars = 0;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (how: 'completed' | 'aborted') => {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      stats.active--;
      stats[how]++;
      timing.outcome = how;
    };
    res.on('close', () => {
      timing.closedAt = simClock();
      finish('aborted');
    });

    const start = performance.now();
    const msPerToken = 1000 / tps;
    let i = 0;
    let stalled = false;
    const tick = () => {
      if (closed) return;
      const now = performance.now();
      let out = i === 0 ? chunk({ role: 'assistant', content: '' }) : '';
      while (i < tokens.length && start + ttftMs + i * msPerToken <= now) {
        if (fault && i === fault.afterTokens) {
          if (fault.type === 'drop') {
            // Destroyed once what was due is on the wire, so the client has the text before the drop.
            closed = true;
            clearTimeout(timer);
            stats.active--;
            stats.aborted++;
            res.write(out, () => res.socket?.destroy());
            return;
          }
          if (fault.type === 'malformed') {
            res.write(out + 'data: {"choices":[{"delta":{"content":\n\n');
            out = '';
          }
          if (fault.type === 'stall' && !stalled) {
            stalled = true;
            res.write(out);
            timer = setTimeout(tick, fault.ms);
            return;
          }
        }
        out += chunk({ content: tokens[i] });
        sentChars += tokens[i].length;
        i++;
      }
      if (sentChars > (timing.writes.at(-1) ?? 0)) timing.writes.push(simClock(), sentChars);
      if (i >= tokens.length) {
        out += chunk({}, 'stop');
        if (body.stream_options?.include_usage) {
          out += `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage })}\n\n`;
        }
        out += 'data: [DONE]\n\n';
        finish('completed');
        res.end(out);
        return;
      }
      if (out) res.write(out);
      timer = setTimeout(tick, Math.max(0, start + ttftMs + i * msPerToken - performance.now()));
    };
    timer = setTimeout(tick, ttftMs);
  }

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://sim');
      if (req.method === 'POST' && url.pathname === '/v1/chat/completions') return await handleChat(req, res);
      if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname === '/v1/models') {
        stats.warmups++;
        if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
          return apiError(res, 401, 'Incorrect API key provided.', 'invalid_api_key');
        }
        return sendJson(res, 200, { object: 'list', data: [{ id: 'flint-sim', object: 'model', owned_by: 'flint' }] });
      }
      if (url.pathname === '/_sim/rules') {
        if (req.method === 'DELETE') {
          rules = [];
          return sendJson(res, 200, { ok: true });
        }
        if (req.method === 'POST') {
          const parsed = SimRule.safeParse(JSON.parse(await readBody(req)));
          if (!parsed.success) return sendJson(res, 400, { ok: false, error: parsed.error.message });
          rules.push(parsed.data);
          return sendJson(res, 200, { ok: true });
        }
      }
      if (req.method === 'GET' && url.pathname === '/_sim/stats') return sendJson(res, 200, stats);
      if (req.method === 'GET' && url.pathname === '/_sim/timings') {
        const match = url.searchParams.get('match');
        return sendJson(res, 200, match === null ? timings : timings.filter((t) => t.match === match));
      }
      // Readable from any page (CORS), so a browser can line its clock up with the simulator's.
      if (req.method === 'GET' && url.pathname === '/_sim/clock') return sendJson(res, 200, { now: simClock() }, { 'access-control-allow-origin': '*' });
      if (req.method === 'GET' && url.pathname === '/_sim/requests') return sendJson(res, 200, recorded);
      apiError(res, 404, `No route ${req.method} ${url.pathname}`, 'not_found');
    } catch (err) {
      if (!res.headersSent) apiError(res, 400, err instanceof Error ? err.message : 'bad request', 'invalid_request_error');
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 120_000;
  server.on('connection', () => stats.connections++);
  const ws = attachResponsesWebSocket(server, { apiKey: opts.apiKey, maxAgeMs: opts.wsMaxAgeMs, defaults, stats, takeRule, record });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    stats: () => ({ ...stats }),
    requests: () => recorded.map((r) => structuredClone(r)),
    timings: () => timings.map((t) => structuredClone(t)),
    addRule: (r) => void rules.push(SimRule.parse(r)),
    clearRules: () => void (rules = []),
    close: () =>
      new Promise<void>((resolve) => {
        ws.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
