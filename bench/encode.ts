/**
 * bench:encode — the encode stage on ≥ 2,000 chunks, two ways, in one run:
 *
 *   queued  real BullMQ flows sink.batch{encode.dense}, one per staged batch of
 *           chunk artifacts (256 chunks per job), consumed by the real gpu role
 *           (startRoles: encode processor with OOM halving + the Redis safe size)
 *           and the real sink role writing Parquet parts — in its own process
 *           (`codeintel worker --role sink`, as deployed) or in this one
 *           (BENCH_SINK=inline). The embedder is the ONNX embedder built by the
 *           production factory on a fixture model (real onnxruntime, CPU) behind
 *           a fault injector that throws OutOfMemoryError for any call above 8
 *           texts: the only fake.
 *   direct  the same ONNX embedder (no injector) called in one loop over the
 *           same chunks, in the same slices, at the batch size the queued run
 *           settled on (read from Redis).
 *
 * Rounds alternate queued/direct so both see the same machine load; each rate is
 * the best round. chunks_written is counted from the first queued round's Parquet
 * parts (distinct chunk ids; rows_written counts every row).
 * Last line: {"chunks", "chunks_written", "queue_chunks_per_s", "direct_chunks_per_s",
 * "ratio", "pair_ratios", "queue_model_share", "oom_halvings", "learned_batch_size", ...}
 * pair_ratios: direct time ÷ queued time of each round pair (the same load, round 1 includes
 * learning the safe size); queue_model_share: the best queued round's time inside the model ÷
 * its whole time, i.e. what the queue costs, whatever the load.
 *
 * Settings (env): BENCH_CHUNKS (2048), BENCH_JOB_CHUNKS (256 chunks per encode.dense job),
 * BENCH_MAX_BATCH (256: the configured ceiling the first job starts at), BENCH_OOM_ABOVE (8),
 * BENCH_HIDDEN (768: the fixture model's width; one 768x768 projection per token), BENCH_ROUNDS (3), BENCH_SINK (process|inline),
 * ONNX_THREADS (1), ONNX_ALLOW_SPINNING.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueueEvents, type FlowJob } from 'bullmq';
import { artifactKeys, childJobIds } from '../src/contracts/artifacts.js';
import { JOBS } from '../src/contracts/jobs.js';
import { denseDocumentText } from '../jobs/encodeDense.js';
import { createChunker } from '../src/chunking/index.js';
import type { Chunk } from '../src/contracts/chunk.js';
import { loadConfig } from '../src/config/index.js';
import { BatchSizeMemory } from '../src/embedding/batchSizeMemory.js';
import { createEmbedder } from '../src/embedding/factory.js';
import type { Embedder } from '../src/embedding/port.js';
import { createLogger } from '../src/observability/logger.js';
import { QUEUES } from '../src/contracts/queues.js';
import { detectLanguage } from '../src/repo/language.js';
import { createRuntime } from '../workers/runtime.js';
import { partsDir } from '../src/sinks/parquetSink.js';
import { startRoles } from '../workers/roles.js';
import { makeTmpDir, removeDir } from '../test/fixtures/repoHelpers.js';
import { codeVocab, writeTinyEmbeddingModel } from '../test/support/onnxModels.js';
import { injectOomAbove } from '../test/support/oomInjector.js';
import { countChunkRows } from '../test/support/parquetRows.js';
import { dropPrefix } from '../test/support/stack.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const envInt = (name: string, fallback: number) => {
  const n = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
};
const WANT = envInt('BENCH_CHUNKS', 2048);
const JOB_CHUNKS = envInt('BENCH_JOB_CHUNKS', 256); // BATCH_SIZE's default
const MAX_BATCH = envInt('BENCH_MAX_BATCH', 256); // VLLM_BATCH_SIZE's default
const OOM_ABOVE = envInt('BENCH_OOM_ABOVE', 8);
const HIDDEN = envInt('BENCH_HIDDEN', 768); // ~5 ms per chunk on one CPU thread: a real encoder's share of the work, if a light one
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const SINK = (process.env.BENCH_SINK ?? 'process') as 'process' | 'inline';
if (SINK !== 'process' && SINK !== 'inline') throw new Error('BENCH_SINK must be "process" or "inline"');
const REPO = 'bench-encode';
const log = (msg: string) => process.stderr.write(`[bench:encode] ${msg}\n`);

/** Real code to embed: this repository's sources, then packages from node_modules, chunked by the real chunker. */
async function collectChunks(want: number): Promise<Chunk[]> {
  const chunker = createChunker({ maxTokens: 400, windowLines: 60, overlapLines: 10 });
  const exts = new Set(['.ts', '.js', '.mjs', '.py', '.md']);
  const roots = ['src', 'jobs', 'workers', 'test', 'node_modules/bullmq/dist/esm', 'node_modules/ioredis/built', 'node_modules/zod/lib', 'node_modules/undici/lib', 'node_modules/express/lib', 'node_modules/pino/lib'];
  const seen = new Set<string>();
  const chunks: Chunk[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await fs.readdir(path.join(ROOT, dir), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (chunks.length >= want) return;
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile() && exts.has(path.extname(e.name)) && !e.name.endsWith('.d.ts')) {
        const text = await fs.readFile(path.join(ROOT, rel), 'utf8');
        if (text.length > 200_000) continue;
        for (const c of await chunker.chunkFile(rel, text, detectLanguage(rel))) {
          if (seen.has(c.id)) continue;
          seen.add(c.id);
          chunks.push(c);
        }
      }
    }
  }
  for (const r of roots) if (chunks.length < want) await walk(r);
  if (chunks.length < want) throw new Error(`found only ${chunks.length} chunks; wanted ${want}`);
  return chunks.slice(0, want);
}

const batchesOf = <T>(items: T[], n: number): T[][] => Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, (i + 1) * n));

/** The direct loop: the same embedder over the same batches, sliced at `size`, nothing else. */
async function direct(embedder: Embedder, batches: Chunk[][], size: number): Promise<number> {
  const t = performance.now();
  for (const batch of batches) {
    for (let i = 0; i < batch.length; i += size) await embedder.embedDocuments(batch.slice(i, i + size).map(denseDocumentText));
  }
  return (performance.now() - t) / 1000;
}

async function main() {
  const tmp = await makeTmpDir('codeintel-bench-encode-');
  const prefix = `bench-encode-${randomBytes(4).toString('hex')}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const modelDir = path.join(tmp, 'model');
    await writeTinyEmbeddingModel(modelDir, { vocab: codeVocab(), hidden: HIDDEN, projection: identityPlusNoise(HIDDEN), modelId: `bench/embed-${HIDDEN}d` });
    const chunks = await collectChunks(WANT);
    const batches = batchesOf(chunks, JOB_CHUNKS);
    log(`${chunks.length} chunks in ${batches.length} batches of ≤ ${JOB_CHUNKS}; fixture model ${HIDDEN}-d (onnxruntime, CPU); OOM injected above ${OOM_ABOVE}`);

    const config = loadConfig({
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: path.join(tmp, 'data'),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      EMBEDDER: 'onnx',
      EMBEDDING_MODEL_DIR: modelDir,
      VLLM_BATCH_SIZE: String(MAX_BATCH),
      BATCH_SIZE: String(JOB_CHUNKS),
      GPU_CONCURRENCY: '1',
      // one intra-op thread: the encoder keeps to one core, as a GPU would leave the CPUs to the rest;
      // both runs use the same setting (ONNX_THREADS=0 gives onnxruntime's own choice)
      ONNX_THREADS: process.env.ONNX_THREADS ?? '1',
      ONNX_ALLOW_SPINNING: process.env.ONNX_ALLOW_SPINNING,
    });
    const logger = createLogger({ level: config.logLevel, name: 'bench-encode' });
    // the production factory builds the model: EMBEDDER=onnx, ONNX_THREADS / ONNX_ALLOW_SPINNING as configured
    const model = await createEmbedder(config, logger);
    cleanups.push(() => model.close());
    // time spent inside the model during the queued runs, to tell queue overhead from a slower model (CPU contention)
    let modelMs = 0;
    const timed: Embedder = {
      get contract() {
        return model.contract;
      },
      async embedDocuments(texts, signal) {
        const t = performance.now();
        try {
          return await model.embedDocuments(texts, signal);
        } finally {
          modelMs += performance.now() - t;
        }
      },
      embedQuery: (t, s) => model.embedQuery(t, s),
      health: () => model.health(),
      close: async () => {},
    };
    const faulty = injectOomAbove(timed, OOM_ABOVE);
    const rt = createRuntime(config, logger, { embedder: async () => faulty });
    cleanups.push(() => rt.close());
    // the sink role runs as deployed: its own process (`codeintel worker --role sink`), or in this one (BENCH_SINK=inline)
    const workers = await startRoles(rt, SINK === 'inline' ? ['gpu', 'sink'] : ['gpu']);
    cleanups.push(() => workers.close());
    if (SINK === 'process') {
      const sink = await startSinkProcess({ REDIS_URL: config.redis.url, REDIS_PREFIX: prefix, DATA_DIR: config.dataDir });
      cleanups.push(() => sink.stop());
    }
    const events = new QueueEvents(QUEUES.sink, { connection: { url: config.redis.url }, prefix });
    cleanups.push(() => events.close());
    await events.waitUntilReady();

    // warm both code paths once (JIT, onnxruntime arenas), outside any timing
    await model.embedDocuments(chunks.slice(0, OOM_ABOVE).map(denseDocumentText));

    // queued runs: each round is a fresh run id (fresh jobs, fresh parts); the safe size stays learned in Redis
    const memoryKey = BatchSizeMemory.key(prefix, os.hostname(), config.gpu.device, faulty.contract.model);
    const queueSecs: number[] = [];
    const directSecs: number[] = [];
    /** per queued round: the share of its time spent inside the model (the rest is the queue's own cost) */
    const modelShares: number[] = [];
    const oomPerRound: number[] = [];
    const oomBefore = () => rt.metrics.gpuOomTotal.get().then((m) => m.values.reduce((n, v) => n + v.value, 0));
    const runIds: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runId = `bench${round}-${randomBytes(3).toString('hex')}`;
      runIds.push(runId);
      for (let b = 0; b < batches.length; b++) await rt.artifacts.putJson(artifactKeys.chunks(runId, b), batches[b]);
      const want = new Set(batches.map((_, b) => childJobIds.sink(runId, b)));
      let failed: string | null = null;
      const done = new Promise<void>((resolve) => {
        const onCompleted = ({ jobId }: { jobId: string }) => {
          if (want.delete(jobId) && want.size === 0) finish();
        };
        const onFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
          if (want.has(jobId)) {
            failed = `${jobId}: ${failedReason}`;
            finish();
          }
        };
        const finish = () => {
          events.off('completed', onCompleted);
          events.off('failed', onFailed);
          resolve();
        };
        events.on('completed', onCompleted);
        events.on('failed', onFailed);
      });
      const flows: FlowJob[] = batches.map((_, b) => {
        const ref = { runId, repo: REPO, batchIndex: b };
        return {
          name: 'sink.batch',
          queueName: QUEUES.sink,
          data: { ...ref, sparse: false },
          opts: { ...JOBS['sink.batch'].options, jobId: childJobIds.sink(runId, b) },
          children: [
            { name: 'encode.dense', queueName: QUEUES.gpu, data: ref, opts: { ...JOBS['encode.dense'].options, jobId: childJobIds.dense(runId, b), failParentOnFailure: true } },
          ],
        };
      });
      const t0 = performance.now();
      await rt.flows.addBulk(flows);
      await done;
      const secs = (performance.now() - t0) / 1000;
      if (failed) throw new Error(`a sink.batch job failed: ${failed}`);
      queueSecs.push(secs);
      oomPerRound.push((await oomBefore()) - oomPerRound.reduce((x, y) => x + y, 0));
      log(`queued round ${round + 1}: ${chunks.length} chunks in ${secs.toFixed(2)} s (${(chunks.length / secs).toFixed(0)}/s), safe size now ${await rt.redis.get(memoryKey)}`);
      log(`  inside the model: ${(modelMs / 1000).toFixed(2)} s; job time so far (s): ${await jobSeconds(rt.metrics)}`);
      modelShares.push(modelMs / 1000 / secs);
      modelMs = 0;

      // direct loop, interleaved with the queued rounds so both see the same machine load:
      // same model, no injector, the size the queued run settled on, same batches
      const size = Number(await rt.redis.get(memoryKey));
      const dsecs = await direct(model, batches, size);
      directSecs.push(dsecs);
      log(`direct round ${round + 1}: ${chunks.length} chunks in ${dsecs.toFixed(2)} s (${(chunks.length / dsecs).toFixed(0)}/s) at batch size ${size}`);
    }
    const oomHalvings = await oomBefore();
    const learned = Number(await rt.redis.get(memoryKey));
    if (!Number.isInteger(learned) || learned < 1) throw new Error(`no learned batch size under ${memoryKey}`);


    // what the queued runs wrote: the parts of the first run (each round wrote its own run's parts)
    const db = await rt.duckdb();
    const dir = partsDir(config.dataDir, REPO);
    const firstRunDir = path.join(tmp, 'first-run-parts');
    await fs.mkdir(firstRunDir);
    for (const f of await fs.readdir(dir)) if (f.startsWith(`part-${runIds[0]}-`)) await fs.link(path.join(dir, f), path.join(firstRunDir, f));
    const firstRun = await countChunkRows(db, firstRunDir);
    const all = await countChunkRows(db, dir);
    const exactlyOnce = firstRun.rows === chunks.length && firstRun.distinct === chunks.length && all.rows === chunks.length * ROUNDS && all.distinct === chunks.length;
    if (!exactlyOnce) log(`NOT exactly once: first run ${JSON.stringify(firstRun)}, all rounds ${JSON.stringify({ rows: all.rows, distinct: all.distinct })}`);

    const queueRate = chunks.length / Math.min(...queueSecs);
    const directRate = chunks.length / Math.min(...directSecs);
    const result = {
      chunks: chunks.length,
      chunks_written: firstRun.distinct,
      rows_written: firstRun.rows,
      queue_chunks_per_s: round1(queueRate),
      direct_chunks_per_s: round1(directRate),
      ratio: Math.round((queueRate / directRate) * 1000) / 1000,
      // load-robust beside the ratio: when the machine's load changes between rounds, the same model runs at
      // another speed in each, so best-round rates compare different loads; these compare like with like
      pair_ratios: queueSecs.map((q, i) => Math.round((directSecs[i] / q) * 1000) / 1000),
      queue_model_share: Math.round(Math.max(...modelShares) * 1000) / 1000,
      queue_overhead_ms_per_chunk: Math.round((1 / queueRate - 1 / directRate) * 1e6) / 1000,
      oom_halvings: oomHalvings,
      oom_halvings_per_round: oomPerRound,
      learned_batch_size: learned,
      jobs: batches.length,
      rounds: ROUNDS,
      injected_faults: faulty.faults,
      exactly_once: exactlyOnce,
      onnx_threads: config.onnx.threads || 'auto',
      sink: SINK,
      model_hidden: HIDDEN,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!exactlyOnce) process.exitCode = 1;
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err) => log(`cleanup: ${(err as Error).message}`));
    await dropPrefix(prefix, process.env.REDIS_URL).catch(() => {});
    await removeDir(tmp);
  }
}

/** `codeintel worker --role sink` in a child process, ready once it logs that its workers started. */
async function startSinkProcess(env: Record<string, string>): Promise<{ stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'codeintel.mjs'), 'worker', '--role', 'sink'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sink worker did not start:\n${stderr}`)), 60_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      if (stderr.includes('"workers started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`sink worker exited with ${code}:\n${stderr}`)));
  });
  child.stderr!.resume();
  return {
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Processing time summed per job name, from job_duration_ms (where a queued run spends its time). */
async function jobSeconds(metrics: { jobDurationMs: { get(): Promise<{ values: { metricName?: string; labels: Record<string, string | number>; value: number }[] }> } }): Promise<string> {
  const { values } = await metrics.jobDurationMs.get();
  return values
    .filter((v) => v.metricName === 'job_duration_ms_sum')
    .map((v) => `${v.labels.name}=${(v.value / 1000).toFixed(2)}`)
    .join(' ');
}

/** A dense [hidden][hidden] projection (identity plus small noise): gives the fixture model real per-token compute. */
function identityPlusNoise(hidden: number): number[][] {
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 0.1;
  return Array.from({ length: hidden }, (_, i) => Array.from({ length: hidden }, (_, j) => (i === j ? 1 : 0) + rand()));
}

main().catch((err) => {
  process.stderr.write(`[bench:encode] failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
