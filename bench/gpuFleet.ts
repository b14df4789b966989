/**
 * bench:gpu-fleet — index a synthetic corpus of ≥ 20,000 chunks through the
 * real queue and workers against 1, 2, 4 and 8 simulated GPUs (issue 15).
 *
 * Each point gets its own REDIS_PREFIX and DATA_DIR, one gpu worker process
 * per GPU (`codeintel worker --role gpu --gpu N`, VLLM_ENDPOINTS=per-gpu: the
 * N-th of VLLM_URLS is that GPU's own simulated vLLM endpoint), a sink worker
 * process (FLEET_SINK_PROCESSES), and the index role and the API in this
 * process. The simulated GPUs run in a process of their own
 * (bench/support/gpuFleetProcess.ts) so their clocks are not delayed by ours.
 * Redis is a private redis-server started by the bench, so INFO commandstats
 * counts only this run's commands.
 *
 * The GPU model is Qwen3-Embedding-8B on an H100 (test/support/simulatedGpuEngine.ts)
 * with every duration multiplied by FLEET_TIME_SCALE, so that 8 simulated
 * GPUs ask no more of this 2-core machine's CPUs than it can give.
 *
 * With FLEET_EXTERNAL_URLS (scripts/gpu-smoke.sh sets it from VLLM_URLS) no
 * GPU is simulated: the points run against those vLLM endpoints (the first
 * k of them for a point of k GPUs), busy time is sampled from each server's
 * Prometheus /metrics (bench/support/vllmMetricsSampler.ts), and the ideal is
 * what each device served per busy minute.
 *
 * Last line: {"points":[{"gpus","busy_min","busy_mean","chunks_per_min","ideal_chunks_per_min"}],"scaling_efficiency_8"}
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import type { IndexJobView } from '../src/api/routes/indexJobs.js';
import { loadConfig } from '../src/config/index.js';
import { silentLogger } from '../src/observability/logger.js';
import { gpuJobsPerDevice } from '../src/gpu/concurrency.js';
import { serve } from '../workers/serve.js';
import { makeTmpDir, removeDir } from '../test/fixtures/repoHelpers.js';
import { CLI, ROOT } from '../test/support/serveProcess.js';
import { idealChunksPerMinute, QWEN3_EMBEDDING_8B_H100, scaledModel, SPLADE_BERT_BASE_H100 } from '../test/support/simulatedGpuEngine.js';
import { codeVocab, writeTinySpladeModel } from '../test/support/onnxModels.js';
import type { SimulatedGpuStats } from '../test/support/simulatedGpuServer.js';
import { startVllmMetricsSampler, type SampledGpuStats } from './support/vllmMetricsSampler.js';
import { vocabulary, zipf } from './syntheticCodeIndex.js';
import { rng } from '../src/vector/rng.mjs';

const WANT_CHUNKS = Number(process.env.FLEET_CHUNKS ?? 20_000);
/** real vLLM endpoints instead of simulated GPUs (scripts/gpu-smoke.sh) */
const EXTERNAL_URLS = (process.env.FLEET_EXTERNAL_URLS ?? '').split(',').map((u) => u.trim()).filter(Boolean);
/** powers of two up to the number of endpoints, and that number itself */
const defaultPoints = (n: number) => [...new Set([1, 2, 4, 8, 16, 32, 64].filter((k) => k <= n).concat(n))].join(',');
const POINTS = (process.env.FLEET_POINTS ?? (EXTERNAL_URLS.length ? defaultPoints(EXTERNAL_URLS.length) : '1,2,4,8')).split(',').map(Number);
const TIME_SCALE = Number(process.env.FLEET_TIME_SCALE ?? 1);
const DIM = Number(process.env.FLEET_DIM ?? 128);
/** Unset: the default of src/gpu/concurrency.ts (2 jobs per device in front of vLLM); set to compare. */
const GPU_CONCURRENCY = process.env.FLEET_GPU_CONCURRENCY;
/**
 * Chunks per staged batch: 64, the fleet setting of docs/configuration.md, not the default 256. A run
 * ends when the last GPU finishes its last batch; with 256 this 20k-chunk corpus is 79 batches, under
 * 10 per GPU at 8 GPUs, and the GPUs that drew one batch fewer idle for a whole batch (measured: the
 * least busy GPU 0.87). 64 gives ≥ 39 batches per GPU.
 */
const BATCH_SIZE = process.env.FLEET_BATCH_SIZE ?? '64';
/**
 * FLEET_SPLADE=1: every batch also takes the sparse path (encode.sparse jobs on the same gpu workers, sparse
 * vectors in the sink), with a small seeded SPLADE model run in process (test/support/onnxModels.ts): on this
 * CPU, what the pipeline around SPLADE costs. The GPU's own SPLADE speed is the simulator's SPLADE model.
 */
const SPLADE = process.env.FLEET_SPLADE === '1';
/** sink worker processes (each SINK_CONCURRENCY jobs at once) */
const SINK_PROCESSES = Number(process.env.FLEET_SINK_PROCESSES ?? 1);
/** SPLADE reads at most 512 tokens (SPLADE_MAX_TOKENS): the GPU-side figure takes that worst case for every chunk. */
const SPLADE_TOKENS_PER_CHUNK = 512;
/** The AST chunker makes one chunk (≈ 120 tokens) of each generated 15-line function. */
const FUNCTIONS_PER_FILE = 20;
const CHUNKS_PER_FILE = 20;
const log = (msg: string) => process.stderr.write(`[bench:gpu-fleet] ${msg}\n`);

if (![WANT_CHUNKS, TIME_SCALE, DIM].every((x) => x > 0) || POINTS.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error('FLEET_CHUNKS, FLEET_TIME_SCALE, FLEET_DIM must be > 0 and FLEET_POINTS a list of GPU counts ≥ 1');
}
if (EXTERNAL_URLS.length && POINTS.some((n) => n > EXTERNAL_URLS.length)) {
  throw new Error(`FLEET_POINTS ${POINTS.join(',')} asks for more GPUs than the ${EXTERNAL_URLS.length} endpoint(s) listed`);
}

/** Python-looking files over a Zipf vocabulary (as bench/syntheticCodeIndex.ts makes them). */
async function writeCorpus(dir: string, chunks: number): Promise<number> {
  const vocab = vocabulary(20_000, 7);
  const next = rng(11);
  const pick = zipf(vocab.length, next);
  const word = () => vocab[pick()];
  // 1 % more files: now and then two short functions merge into one chunk
  const files = Math.ceil((chunks * 1.01) / CHUNKS_PER_FILE);
  for (let f = 0; f < files; f++) {
    const fns = Array.from({ length: FUNCTIONS_PER_FILE }, (_, i) =>
      [
        `def ${word()}_${i}(${word()}, ${word()}):`,
        `    """${word()} ${word()} ${word()} for ${word()}."""`,
        ...Array.from({ length: 12 }, () => `    ${word()} = ${word()}(${word()}, ${word()}.${word()})`),
        `    return ${word()}`,
      ].join('\n'),
    );
    const rel = path.join(`pkg${f % 97}`, `mod_${f}.py`);
    await fs.mkdir(path.join(dir, path.dirname(rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), `${fns.join('\n\n')}\n`);
  }
  return files;
}

/** utime + stime of each process, from /proc (Linux), in seconds. */
async function cpuSecondsOf(pids: number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // fields after the parenthesised command name: utime and stime are the 12th and 13th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A private, memory-only redis-server, so commandstats count this bench alone. */
async function startPrivateRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {}); // refused while the server starts: retried below
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (err) {
      if (i > 50) {
        proc.kill('SIGTERM');
        throw new Error(`redis-server on port ${port} did not start: ${(err as Error).message}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      probe.disconnect();
    }
  }
  return {
    url,
    stop: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

function startFleet(gpus: number): Promise<{ urls: string[]; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/support/gpuFleetProcess.ts'), String(gpus), String(DIM), String(TIME_SCALE)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', (line) => resolve({ urls: (JSON.parse(line) as { urls: string[] }).urls, proc }));
    proc.once('exit', (code) => reject(new Error(`the simulated fleet exited with ${code}`)));
  });
}

/** One point's GPUs as the bench measures them: busy time, window and chunks served per device. */
interface GpuPointStats {
  busyMs: number;
  /** wall clock of this device's first work and of the end of its last */
  start: number | null;
  end: number | null;
  sequences: number;
  tokens: number;
}

interface Fleet {
  urls: string[];
  /** local processes whose CPU the point counts */
  pids: number[];
  /** forget what came before the run */
  begin(): Promise<void>;
  stats(): Promise<GpuPointStats[]>;
  /** chunks/min with zero idle time, for chunks of the measured size */
  ideal(stats: GpuPointStats[]): number;
  close(): Promise<void>;
}

async function simulatedFleet(gpus: number): Promise<Fleet> {
  const { urls, proc } = await startFleet(gpus);
  let model = scaledModel(QWEN3_EMBEDDING_8B_H100, TIME_SCALE);
  return {
    urls,
    pids: [proc.pid!],
    begin: async () => void (await Promise.all(urls.map((u) => fetch(`${new URL(u).origin}/sim/reset`, { method: 'POST' })))),
    async stats() {
      const raw = await Promise.all(urls.map(async (u) => (await (await fetch(`${new URL(u).origin}/sim/stats`)).json()) as SimulatedGpuStats));
      model = raw[0].model;
      return raw.map((r) => ({ busyMs: r.busyMs, start: r.firstArrivalAt, end: r.lastStepEndAt, sequences: r.sequences, tokens: r.tokens }));
    },
    ideal(stats) {
      const tokensPerChunk = stats.reduce((n, s) => n + s.tokens, 0) / stats.reduce((n, s) => n + s.sequences, 0);
      return gpus * idealChunksPerMinute(model, tokensPerChunk);
    },
    async close() {
      proc.stdin!.end();
      await stopProc(proc);
    },
  };
}

function externalFleet(gpus: number): Fleet {
  const urls = EXTERNAL_URLS.slice(0, gpus);
  let sampler: ReturnType<typeof startVllmMetricsSampler> | undefined;
  let sampled: SampledGpuStats[] | undefined;
  return {
    urls,
    pids: [],
    async begin() {
      sampler = startVllmMetricsSampler(urls);
    },
    async stats() {
      sampled ??= await sampler!.stop();
      return sampled.map((s) => ({ busyMs: s.busyMs, start: s.firstBusyAt, end: s.lastBusyAt, sequences: s.sequences, tokens: s.tokens }));
    },
    // what each device served per minute it was busy
    ideal: (stats) => stats.reduce((n, s) => n + (s.busyMs > 0 ? (s.sequences / s.busyMs) * 60_000 : 0), 0),
    async close() {
      if (!sampled) await sampler?.stop();
    },
  };
}

function startWorkerProcess(role: 'gpu' | 'sink', gpu: number | undefined, env: Record<string, string>): ChildProcess {
  const args = [CLI, 'worker', '--role', role, ...(gpu === undefined ? [] : ['--gpu', String(gpu)])];
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  proc.once('exit', (code, signal) => {
    if (signal !== 'SIGTERM' && code !== 0) log(`${role} worker ${gpu ?? ''} exited with ${code ?? signal}:\n${err}`);
  });
  return proc;
}

const stopProc = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null ? resolve() : (p.once('exit', () => resolve()), p.kill('SIGTERM'))));

interface Point {
  gpus: number;
  chunks: number;
  batches: number;
  e2eSeconds: number;
  encodeWindowSeconds: number;
  busy: number[];
  perGpuChunksPerMin: number[];
  idealChunksPerMin: number;
  sinkLagMs: { p50: number; p95: number; max: number };
  sinkRunMs: { p50: number; p95: number };
  /** FLEET_SPLADE: sparse chunks encoded, and per gpu worker per hour over the sparse jobs' window */
  splade?: { chunks: number; chunksPerHourPerGpu: number };
  redisCallsPerBatch: number;
  /** CPU seconds of every process of the point (bench, gpu workers, fleet) during the run, and of the wall time */
  cpuSeconds: number;
  cores: number;
  topCommands: string;
}

async function runPoint(gpus: number, repo: string, redisUrl: string, spladeDir?: string): Promise<Point> {
  const prefix = `gpufleet-${gpus}-${randomBytes(3).toString('hex')}`;
  const dataDir = await makeTmpDir('codeintel-gpufleet-');
  const fleet = EXTERNAL_URLS.length ? externalFleet(gpus) : await simulatedFleet(gpus);
  const env: Record<string, string> = {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    EMBEDDER: 'vllm',
    EMBEDDING_DIM: String(DIM),
    ...(process.env.VLLM_MODEL ? { VLLM_MODEL: process.env.VLLM_MODEL } : {}),
    ...(GPU_CONCURRENCY ? { GPU_CONCURRENCY } : {}),
    ...(process.env.SINK_CONCURRENCY ? { SINK_CONCURRENCY: process.env.SINK_CONCURRENCY } : {}),
    BATCH_SIZE,
    // one environment for the whole fleet: `--gpu i` picks the i-th endpoint
    VLLM_ENDPOINTS: 'per-gpu',
    VLLM_URLS: fleet.urls.join(','),
    ...(spladeDir ? { SPLADE_MODEL_DIR: spladeDir, ONNX_THREADS: '1' } : {}),
  };
  // the sink role in processes of its own, as deployed (docs/deployment.md: `--scale sink-worker=N`): its
  // Parquet rows are CPU work (code tokenizing, DuckDB) that must not share one thread with the index role
  const sinks = Array.from({ length: SINK_PROCESSES }, () => startWorkerProcess('sink', undefined, env));
  // with FLEET_SPLADE the SPLADE model runs on this machine's CPU, so its workers are not pinned (`--gpu N` runs
  // in-process models on CUDA): each gets its own endpoint as VLLM_URL instead
  const gpuWorker = (url: string, i: number) =>
    spladeDir ? startWorkerProcess('gpu', undefined, { ...env, VLLM_ENDPOINTS: 'shared', VLLM_URL: url }) : startWorkerProcess('gpu', i, env);
  const workers = [...fleet.urls.map(gpuWorker), ...sinks];
  // the index role and the API here; they never embed documents
  const server = await serve(loadConfig({ ...env, LOG_LEVEL: 'silent' }), silentLogger(), { roles: ['index'] });
  const redis = new Redis(redisUrl);
  try {
    const t0 = Date.now();
    while ((await server.runtime.queues.gpu.getWorkersCount()) < gpus || (await server.runtime.queues.sink.getWorkersCount()) < SINK_PROCESSES) {
      if (Date.now() - t0 > 120_000) throw new Error(`only ${await server.runtime.queues.gpu.getWorkersCount()} of ${gpus} gpu workers came up in 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await fleet.begin();
    const pids = [process.pid, ...fleet.pids, ...workers.map((w) => w.pid!)]; // gpu and sink workers
    const cpuBefore = await cpuSecondsOf(pids);
    const wallBefore = performance.now();
    const before = await commandCalls(redis);
    const res = await fetch(`${server.url}/v1/index-jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo, name: `fleet${gpus}` }) });
    if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
    const { jobId } = (await res.json()) as { jobId: string };
    let view: IndexJobView;
    for (;;) {
      view = (await (await fetch(`${server.url}/v1/index-jobs/${jobId}`)).json()) as IndexJobView;
      if (view.state === 'failed') throw new Error(`run failed: ${view.error?.detail}`);
      if (view.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const after = await commandCalls(redis);
    const cpuSeconds = (await cpuSecondsOf(pids)) - cpuBefore;
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    const stats = await fleet.stats();

    const start = Math.min(...stats.map((s) => s.start ?? Infinity));
    const end = Math.max(...stats.map((s) => s.end ?? -Infinity));
    const windowMs = end - start;
    const chunks = view.result!.chunks;

    // sink lag: a batch's sink job finished − its encode job finished
    const done = async (q: 'gpu' | 'sink') => (await server.runtime.queues[q].getJobs(['completed'], 0, -1)).filter((j) => (j.data as { runId?: string }).runId !== undefined);
    const encodeJobs = await done('gpu');
    const denseJobs = encodeJobs.filter((j) => j.name === 'encode.dense');
    const sparseJobs = encodeJobs.filter((j) => j.name === 'encode.sparse');
    const batches = denseJobs.length;
    // a batch is encoded when the last of its encode jobs (dense, and sparse when on) finished
    const encodedAt = new Map<number, number>();
    for (const j of encodeJobs) {
      const b = (j.data as { batchIndex: number }).batchIndex;
      encodedAt.set(b, Math.max(encodedAt.get(b) ?? 0, j.finishedOn!));
    }
    const sparseChunks = sparseJobs.reduce((n, j) => n + ((j.returnvalue as { count?: number } | undefined)?.count ?? 0), 0);
    const sparseWindowMs = sparseJobs.length
      ? Math.max(...sparseJobs.map((j) => j.finishedOn!)) - Math.min(...sparseJobs.map((j) => j.processedOn!))
      : 0;
    const sinkJobs = await done('sink');
    const lags = sinkJobs.map((j) => j.finishedOn! - (encodedAt.get((j.data as { batchIndex: number }).batchIndex) ?? j.finishedOn!)).sort((a, b) => a - b);
    const quantile = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
    const q = (p: number) => quantile(lags, p);
    // where the lag goes: the sink job's own run time, and the wait before a sink worker took it
    const sinkRun = sinkJobs.map((j) => j.finishedOn! - j.processedOn!).sort((a, b) => a - b);

    const deltas = [...after].map(([cmd, n]) => [cmd, n - (before.get(cmd) ?? 0)] as const).filter(([cmd, n]) => n > 0 && cmd !== 'info');
    const calls = deltas.reduce((n, [, d]) => n + d, 0);
    return {
      gpus,
      chunks,
      batches,
      e2eSeconds: view.result!.durationMs / 1000,
      encodeWindowSeconds: windowMs / 1000,
      busy: stats.map((s) => s.busyMs / windowMs),
      perGpuChunksPerMin: stats.map((s) => (s.sequences / windowMs) * 60_000),
      idealChunksPerMin: fleet.ideal(stats),
      sinkLagMs: { p50: q(0.5), p95: q(0.95), max: lags.at(-1) ?? 0 },
      sinkRunMs: { p50: quantile(sinkRun, 0.5), p95: quantile(sinkRun, 0.95) },
      ...(spladeDir ? { splade: { chunks: sparseChunks, chunksPerHourPerGpu: sparseWindowMs > 0 ? (sparseChunks / sparseWindowMs) * 3_600_000 / gpus : 0 } } : {}),
      redisCallsPerBatch: calls / batches,
      cpuSeconds,
      cores: cpuSeconds / wallSeconds,
      topCommands: deltas.sort((a, b) => b[1] - a[1]).slice(0, 6).map(([c, n]) => `${c} ${(n / batches).toFixed(1)}`).join(', '),
    };
  } finally {
    redis.disconnect();
    await Promise.all(workers.map(stopProc));
    await server.close();
    await fleet.close();
    await removeDir(dataDir);
  }
}

const fmt = (xs: number[], d = 2) => xs.map((x) => x.toFixed(d)).join(' ');

const corpus = await makeTmpDir('codeintel-gpufleet-corpus-');
const redis = await startPrivateRedis();
try {
  const files = await writeCorpus(corpus, WANT_CHUNKS);
  const model = scaledModel(QWEN3_EMBEDDING_8B_H100, TIME_SCALE);
  const config = loadConfig({
    EMBEDDER: 'vllm',
    VLLM_URL: 'http://127.0.0.1:1/v1',
    BATCH_SIZE,
    ...(GPU_CONCURRENCY ? { GPU_CONCURRENCY } : {}),
    ...(process.env.SINK_CONCURRENCY ? { SINK_CONCURRENCY: process.env.SINK_CONCURRENCY } : {}),
  });
  const gpusAre = EXTERNAL_URLS.length
    ? `vLLM endpoints ${EXTERNAL_URLS.join(', ')} (busy from their /metrics)`
    : `GPU model ${JSON.stringify(model)} (Qwen3-Embedding-8B/H100 × ${TIME_SCALE}); dim ${DIM}`;
  log(`corpus: ${files} files in ${corpus}; ${gpusAre}; GPU_CONCURRENCY ${gpuJobsPerDevice(config)}; BATCH_SIZE ${config.batchSize}; SINK_CONCURRENCY ${config.workers.sinkConcurrency}`);
  let spladeDir: string | undefined;
  if (SPLADE) {
    spladeDir = path.join(corpus, '.splade-model');
    await writeTinySpladeModel(spladeDir, { vocab: codeVocab(), hidden: 64, seed: 8 });
    const spladeIdeal = idealChunksPerMinute(SPLADE_BERT_BASE_H100, SPLADE_TOKENS_PER_CHUNK) * 60;
    log(
      `SPLADE on: a seeded ${codeVocab().length}-term SPLADE model in process (ONNX, CPU); the simulated SPLADE model on an H100 ` +
        `(${JSON.stringify(SPLADE_BERT_BASE_H100)}) serves ${Math.round(spladeIdeal).toLocaleString('en-US')} chunks/hour per GPU at ${SPLADE_TOKENS_PER_CHUNK} tokens a chunk (bar: 10,000)`,
    );
  }
  const points: Point[] = [];
  for (const gpus of POINTS) {
    const p = await runPoint(gpus, corpus, redis.url, spladeDir);
    points.push(p);
    const mean = p.busy.reduce((a, b) => a + b, 0) / p.busy.length;
    log(
      [
        `── ${gpus} GPU(s): ${p.chunks} chunks in ${p.batches} batches, run ${p.e2eSeconds.toFixed(1)} s, encode window ${p.encodeWindowSeconds.toFixed(1)} s`,
        `   chunks/min per GPU : ${fmt(p.perGpuChunksPerMin, 0)}`,
        `   busy per GPU       : ${fmt(p.busy)} (min ${Math.min(...p.busy).toFixed(3)}, mean ${mean.toFixed(3)})`,
        `   end-to-end         : ${Math.round((p.chunks / p.e2eSeconds) * 60)} chunks/min (ideal ${Math.round(p.idealChunksPerMin)})`,
        `   sink lag           : p50 ${p.sinkLagMs.p50} ms, p95 ${p.sinkLagMs.p95} ms, max ${p.sinkLagMs.max} ms (a sink job runs p50 ${p.sinkRunMs.p50} ms, p95 ${p.sinkRunMs.p95} ms)`,
        ...(p.splade ? [`   SPLADE (CPU)       : ${p.splade.chunks} chunks, ${Math.round(p.splade.chunksPerHourPerGpu).toLocaleString('en-US')} chunks/hour per gpu worker (bar: 10,000 per GPU)`] : []),
        `   redis calls/batch  : ${p.redisCallsPerBatch.toFixed(1)} (${p.topCommands})`,
        `   CPU                : ${p.cpuSeconds.toFixed(1)} core-s, ${p.cores.toFixed(2)} of ${os.availableParallelism()} cores on average (bench + gpu and sink workers + fleet)`,
      ].join('\n'),
    );
  }
  const cpm = (p: Point) => (p.chunks / p.e2eSeconds) * 60;
  const one = points.find((p) => p.gpus === 1);
  const eight = points.find((p) => p.gpus === 8);
  console.log(
    JSON.stringify({
      points: points.map((p) => ({
        gpus: p.gpus,
        busy_min: Number(Math.min(...p.busy).toFixed(3)),
        busy_mean: Number((p.busy.reduce((a, b) => a + b, 0) / p.busy.length).toFixed(3)),
        chunks_per_min: Math.round(cpm(p)),
        ideal_chunks_per_min: Math.round(p.idealChunksPerMin),
        ...(p.splade ? { splade_chunks_per_hour_per_gpu: Math.round(p.splade.chunksPerHourPerGpu) } : {}),
      })),
      scaling_efficiency_8: one && eight ? Number((cpm(eight) / (8 * cpm(one))).toFixed(3)) : null,
    }),
  );
} finally {
  await redis.stop();
  await removeDir(corpus);
}
process.exit(0);
