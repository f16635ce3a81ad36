import http from 'node:http';
import https from 'node:https';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { AddressRefusedError, checkUrl, guardedLookup, type AddressPolicy } from '../net/address-policy';

/**
 * isomorphic-git's `http` plugin, over node:http(s) with the SSRF guard of
 * server/net/address-policy.ts: every request (and every redirect, followed here, never by a
 * library) has its URL checked (`checkUrl`) and connects through `guardedLookup`, so the address
 * judged is the address connected to. It also enforces the clone's budget: `maxBytes` of
 * response bodies in all, and `signal` (the clone's time limit) aborts whatever is in flight.
 *
 * Invariants:
 * - At most 5 redirects; a redirect to another host drops the Authorization header.
 * - A response past `maxBytes` errors its body with `CloneTooLargeError`.
 */
export class CloneTooLargeError extends Error {
  readonly code = 'limitExceeded';
  constructor(message: string) {
    super(message);
    this.name = 'CloneTooLargeError';
  }
}

export interface GuardedHttpOptions {
  policy: AddressPolicy;
  /** Bytes of responses allowed in all (the clone's size limit). */
  maxBytes: number;
  signal?: AbortSignal;
  /** For tests: the resolver behind the guarded lookup. */
  resolve?: Parameters<typeof guardedLookup>[1];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function collect(body: GitHttpRequest['body']): Promise<Buffer | undefined> {
  if (!body) return undefined;
  const parts: Uint8Array[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}

export function guardedHttp(opts: GuardedHttpOptions): HttpClient & { received(): number } {
  const lookup = guardedLookup(opts.policy, opts.resolve);
  let received = 0;

  function send(url: URL, method: string, headers: Record<string, string>, body: Buffer | undefined): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const lib = url.protocol === 'https:' ? https : http;
      const req = lib.request(url, { method, headers, lookup: lookup as never, agent: false, signal: opts.signal }, resolve);
      req.on('error', reject);
      req.end(body);
    });
  }

  async function* counted(res: http.IncomingMessage): AsyncIterableIterator<Uint8Array> {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      received += chunk.byteLength;
      if (received > opts.maxBytes) {
        res.destroy();
        throw new CloneTooLargeError(`The repository is larger than the ${Math.round(opts.maxBytes / 1024 / 1024)} MiB a clone may fetch (FLINT_GIT_MAX_BYTES).`);
      }
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  }

  return {
    received: () => received,
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      let method = req.method ?? 'GET';
      let body = await collect(req.body);
      const headers: Record<string, string> = { ...req.headers };
      let url = checkUrl(req.url, opts.policy);
      for (let hop = 0; ; hop++) {
        const res = await send(url, method, headers, body);
        const location = res.headers.location;
        if (REDIRECTS.has(res.statusCode ?? 0) && location) {
          res.resume();
          if (hop >= 5) throw new AddressRefusedError(`${req.url} redirects too many times`);
          const next = checkUrl(new URL(location, url).href, opts.policy);
          if (next.host !== url.host) delete headers.authorization, delete headers.Authorization;
          if (res.statusCode === 303) (method = 'GET'), (body = undefined);
          url = next;
          continue;
        }
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
        return { url: url.href, method, statusCode: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: flat, body: counted(res) };
      }
    },
  };
}
