import client from 'prom-client';
import type { Queue } from 'bullmq';

/**
 * Prometheus metrics of one process, on a registry of its own (no global
 * default registry, so tests and several runtimes in one process do not
 * collide). Names follow seed 003 §3.4 / §9 and seed 001 §8.
 */
/** Remember an async probe's answer for `ttlMs`, so frequent scrapes do not hammer what they check. */
function cached<T>(probe: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let at = -Infinity;
  let pending: Promise<T> | null = null;
  return () => {
    if (!pending || Date.now() - at >= ttlMs) {
      at = Date.now();
      pending = probe();
    }
    return pending;
  };
}

export interface MetricsOptions {
  queues?: () => Queue[];
  defaultMetrics?: boolean;
  /** when a vLLM endpoint is configured: its health URL and a check of it, run at scrape time (cached) */
  vllm?: { endpoint: string; healthy: () => Promise<boolean> };
  /** how long a probe answer is reused across scrapes (default 10 s) */
  probeTtlMs?: number;
}

export function createMetrics(opts: MetricsOptions = {}) {
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
  const sinkFailuresTotal = new client.Counter({
    name: 'sink_failures_total',
    help: 'Optional-sink (Neo4j, OpenSearch) writes and deletes that gave up after their retries, or were skipped while the sink was failing',
    labelNames: ['sink', 'op'],
    registers: [registry],
  });
  const gpuOomTotal = new client.Counter({ name: 'gpu_oom_total', help: 'Out-of-memory batch halvings', labelNames: ['kind'], registers: [registry] });
  // counters whose label values are known up front start at 0, so a dashboard shows 0 rather than "No data"
  for (const kind of ['dense', 'sparse']) gpuOomTotal.inc({ kind }, 0);
  const indexRunDurationMs = new client.Histogram({
    name: 'index_run_duration_ms',
    help: 'Whole index runs, from the request to the end of the last step (job_duration_ms of index.run only sees its last step)',
    labelNames: ['status'],
    buckets: [250, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000, 1800000, 3600000],
    registers: [registry],
  });
  const jobDurationMs = new client.Histogram({
    name: 'job_duration_ms',
    help: 'Processing time of completed or failed jobs',
    labelNames: ['queue', 'name', 'status'],
    buckets: [10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000],
    registers: [registry],
  });
  const answersTotal = new client.Counter({
    name: 'answers_total',
    help: 'Answers that ended, by final state',
    labelNames: ['state'],
    registers: [registry],
  });
  for (const state of ['completed', 'failed', 'cancelled']) answersTotal.inc({ state }, 0);
  const answerTtftMs = new client.Histogram({
    name: 'answer_ttft_ms',
    help: 'Time from the answer job starting to the first generated token',
    buckets: [25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000],
    registers: [registry],
  });
  const answerTotalMs = new client.Histogram({
    name: 'answer_total_ms',
    help: 'Time from the answer job starting to its last event',
    buckets: [50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000],
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

  // Alertable health (dashboard/prometheus/alerts.yml): labelled, so a process
  // without vLLM or without the gpu role exports no series rather than a false 0.
  const probeTtlMs = opts.probeTtlMs ?? 10_000;
  const vllmHealthy = opts.vllm ? cached(opts.vllm.healthy, probeTtlMs) : null;
  const vllmUp = new client.Gauge({
    name: 'vllm_up',
    help: 'vLLM embedding server health check answered 200 (1) or not (0), checked at scrape time',
    labelNames: ['endpoint'],
    registers: [registry],
    async collect() {
      if (!opts.vllm || !vllmHealthy) return;
      const ok = await vllmHealthy().catch(() => false);
      this.set({ endpoint: opts.vllm.endpoint }, ok ? 1 : 0);
    },
  });
  let gpuSource: { count: () => Promise<number>; labels: { device: string; required: string } } | null = null;
  const gpuVisible = new client.Gauge({
    name: 'gpu_visible',
    help: 'GPUs this gpu worker sees (nvidia-smi; the pinned one, or all); 0 means no GPU is visible',
    labelNames: ['device', 'required'],
    registers: [registry],
    async collect() {
      if (!gpuSource) return;
      const n = await gpuSource.count().catch(() => 0);
      this.reset();
      this.set(gpuSource.labels, n);
    },
  });

  return {
    registry,
    vllmUp,
    gpuVisible,
    /**
     * Export gpu_visible for this process (the gpu role): `count` is re-run at
     * scrape time (cached), so a GPU that falls off the bus shows up as 0.
     */
    trackGpu(count: () => Promise<number>, labels: { device: number; required: boolean }) {
      gpuSource = {
        count: cached(count, probeTtlMs),
        labels: { device: labels.device >= 0 ? String(labels.device) : 'all', required: String(labels.required) },
      };
    },
    embedChunksSec,
    embedLatencyMs,
    embedBatchSize,
    spladeChunksTotal,
    spladeLatencyMs,
    gpuOomTotal,
    sinkFailuresTotal,
    jobDurationMs,
    indexRunDurationMs,
    httpRequestMs,
    /** the AnswerMetrics port the answer job reports to */
    answers: {
      observe(state: string, timingsMs: Record<string, number>) {
        answersTotal.inc({ state });
        if (typeof timingsMs.ttft === 'number') answerTtftMs.observe(timingsMs.ttft);
        if (typeof timingsMs.total === 'number') answerTotalMs.observe(timingsMs.total);
      },
    },
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
