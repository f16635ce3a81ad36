import type http from 'node:http';

/** One readiness check: resolves when the part it checks works, rejects (or times out) when not. */
export type HealthCheck = () => Promise<void>;

export interface HealthReport {
  ready: boolean;
  /** Each check's result: `ok`, or why not. */
  checks: Record<string, string>;
}

/** A check that has not answered within this long has failed (a balancer polls every few seconds). */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * `GET /healthz`, for a load balancer or an orchestrator: 200 when this process can serve —
 * the database answers (its migrations ran when it opened), Redis answers when configured, and
 * the process is not draining for a stop — else 503, with each check's result as JSON. It
 * reveals nothing beyond that, sets no cookie, and is never cached.
 */
export function healthReporter(checks: Record<string, HealthCheck>, draining: () => boolean): () => Promise<HealthReport> {
  return async () => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]): Promise<[string, string]> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
        });
        try {
          await Promise.race([check(), timeout]);
          return [name, 'ok'];
        } catch (err) {
          return [name, err instanceof Error ? err.message.slice(0, 200) : 'failed'];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const result = Object.fromEntries(entries);
    if (draining()) result.process = 'draining: stopping after the running turns end';
    return { ready: Object.values(result).every((v) => v === 'ok'), checks: result };
  };
}

export function answerHealth(report: () => Promise<HealthReport>, res: http.ServerResponse): void {
  report().then(
    (r) => res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(r)),
    () => res.writeHead(503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end('{"ready":false}'),
  );
}
