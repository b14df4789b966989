import client from 'prom-client';
import type { Queue } from 'bullmq';

/**
 * Prometheus metrics of one process, on a registry of its own (no global
 * default registry, so tests and several runtimes in one process do not
 * collide). Names follow seed 003 §3.4 / §9 and seed 001 §8.
 */
export function createMetrics(opts: { queues?: () => Queue[]; defaultMetrics?: boolean } = {}) {
  const registry = new client.Registry();
  if (opts.defaultMetrics !== false) client.collectDefaultMetrics({ register: registry, prefix: 'codeintel_' });

  const embedChunksTotal = new client.Counter({ name: 'embed_chunks_total', help: 'Chunks embedded (dense)', registers: [registry] });
  const window: { t: number; n: number }[] = [];
  const embedChunksSec = new client.Gauge({
    name: 'embed_chunks_sec',
    help: 'Dense embedding throughput over the last 60 s, chunks per second',
    registers: [registry],
    collect() {
      const now = Date.now();
      while (window.length && now - window[0].t > 60_000) window.shift();
      const n = window.reduce((a, w) => a + w.n, 0);
      const span = window.length ? Math.max(1, (now - window[0].t) / 1000) : 1;
      this.set(window.length ? n / span : 0);
    },
  });
  const latencyBuckets = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];
  const embedLatencyMs = new client.Histogram({ name: 'embed_latency_ms', help: 'Latency of one dense embedding call', buckets: latencyBuckets, registers: [registry] });
  const embedBatchSize = new client.Histogram({ name: 'embed_batch_size', help: 'Inputs per dense embedding call', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [registry] });
  const spladeChunksTotal = new client.Counter({ name: 'splade_chunks_total', help: 'Chunks expanded with SPLADE', registers: [registry] });
  const spladeLatencyMs = new client.Histogram({ name: 'splade_latency_ms', help: 'Latency of one SPLADE batch', buckets: latencyBuckets, registers: [registry] });
  const gpuOomTotal = new client.Counter({ name: 'gpu_oom_total', help: 'Out-of-memory batch halvings', labelNames: ['kind'], registers: [registry] });
  const jobDurationMs = new client.Histogram({
    name: 'job_duration_ms',
    help: 'Processing time of completed or failed jobs',
    labelNames: ['queue', 'name', 'status'],
    buckets: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000],
    registers: [registry],
  });
  const httpRequestMs = new client.Histogram({
    name: 'http_request_ms',
    help: 'API request duration',
    labelNames: ['route', 'method', 'status'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
    registers: [registry],
  });
  new client.Gauge({
    name: 'queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const q of opts.queues?.() ?? []) {
        try {
          const counts = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'waiting-children', 'prioritized');
          for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
        } catch {
          // Redis away: leave the gauge empty rather than fail the scrape
        }
      }
    },
  });

  return {
    registry,
    embedChunksSec,
    embedLatencyMs,
    embedBatchSize,
    spladeChunksTotal,
    spladeLatencyMs,
    gpuOomTotal,
    jobDurationMs,
    httpRequestMs,
    /** the EncodeMetrics port the encode processors report to */
    encode: {
      observeBatch(kind: 'dense' | 'sparse', size: number, latencyMs: number) {
        if (kind === 'dense') {
          embedLatencyMs.observe(latencyMs);
          embedBatchSize.observe(size);
        } else spladeLatencyMs.observe(latencyMs);
      },
      countChunks(kind: 'dense' | 'sparse', n: number) {
        if (kind === 'dense') {
          embedChunksTotal.inc(n);
          window.push({ t: Date.now(), n });
        } else spladeChunksTotal.inc(n);
      },
      countOom(kind: 'dense' | 'sparse') {
        gpuOomTotal.inc({ kind });
      },
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
