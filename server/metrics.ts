import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Flint's Prometheus metrics, served as text at `/metrics` on their own port (edge/metrics-server.ts). One registry per process (or test). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'flint_process_' });
  const ms = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000].map((v) => v / 1000);
  return {
    registry,
    streams: new Counter({ name: 'flint_streams_total', help: 'AI streams by how they ended', labelNames: ['status'] as const, registers: [registry] }),
    activeStreams: new Gauge({ name: 'flint_streams_active', help: 'AI streams running upstream now', registers: [registry] }),
    queuedStreams: new Gauge({ name: 'flint_streams_queued', help: 'AI streams waiting for a slot', registers: [registry] }),
    queueWait: new Histogram({ name: 'flint_stream_queue_wait_seconds', help: 'Prompt accepted → slot granted', buckets: ms, registers: [registry] }),
    serverTtft: new Histogram({ name: 'flint_stream_server_ttft_seconds', help: 'Upstream request sent → first token', buckets: ms, registers: [registry] }),
    browserTtft: new Histogram({ name: 'flint_stream_browser_ttft_seconds', help: 'Submit → first character painted, reported by the browser', buckets: ms, registers: [registry] }),
    duration: new Histogram({ name: 'flint_stream_duration_seconds', help: 'Prompt accepted → stream end', buckets: ms, registers: [registry] }),
    tokensPerSecond: new Histogram({ name: 'flint_stream_tokens_per_second', help: 'Streamed tokens per second, first to last token', buckets: [50, 100, 250, 500, 1000, 2000, 4000, 8000, 16000], registers: [registry] }),
    upstreamRetries: new Counter({ name: 'flint_upstream_retries_total', help: 'Upstream 429s retried after a wait', registers: [registry] }),
    refusedHandshakes: new Counter({ name: 'flint_socket_handshakes_refused_total', help: 'Socket handshakes refused for their Origin (edge/origin-check.ts)', labelNames: ['reason'] as const, registers: [registry] }),
    protocolErrors: new Counter({ name: 'flint_protocol_errors_total', help: 'Typed errors answered to clients', labelNames: ['code'] as const, registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
