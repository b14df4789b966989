/**
 * bench:scale — synthetic code corpora of growing size (10k, 100k, 1M chunks
 * by default) indexed through the queue, each role in its own process:
 *   index  `codeintel serve --roles index`  (the API that takes the index job, and the index role)
 *   gpu    `codeintel worker --role gpu`    (hashing embedder: no GPU here)
 *   sink   `codeintel worker --role sink`
 *   query  `codeintel serve --roles none`   (an API process with no worker role: it serves POST /v1/search)
 * then search latency through the query process's POST /v1/search. Peak RSS
 * is each process's VmHWM (/proc/<pid>/status) at the end of the point, so
 * the query figure covers loading the repo reader and every search.
 *
 * Knobs: SCALE_POINTS=10000,100000,1000000  SCALE_SEARCHES=200
 * SCALE_CHUNK_MAX_TOKENS=96 (one chunk per generated function)  SCALE_BATCH_SIZE (BATCH_SIZE, default the config's)
 * SCALE_CHANNELS=dense,bm25 (the hashing embedder's dense weight is 0 unless asked for by name)
 * SCALE_ENV='K=V,K=V' (extra settings for every process, e.g. SEARCH_MEMORY_BUDGET_MB=512).
 * SCALE_KEEP_DATA=dir: keep each point's corpus, DATA_DIR and Redis prefix under dir/<points>/ instead of
 * removing them; a later run with the same dir finds them there and re-runs only the query phase (a fresh
 * query process searching the kept index), reporting the index figures recorded when it was built.
 * Remove the dir (and its Redis prefix, named in dir/<points>/state.json) when done.
 * SCALE_QUERY_LOG_LEVEL=debug: the query process logs its memory by component (printed at the end of a point).
 *
 * Last line: {"points":[{chunks, index_s, chunks_per_s, peak_rss_mb:{index,gpu,sink,query}, search_p50_ms, search_p95_ms}],
 *             "index_growth_exponent", "query_rss_mb_at_1m"}
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { IndexJobView } from '../src/api/routes/indexJobs.js';
import { rng } from '../src/vector/rng.mjs';
import { CLI } from '../test/support/serveProcess.js';
import { dropPrefix, testEnv } from '../test/support/stack.js';
import { makeTmpDir, removeDir } from '../test/fixtures/repoHelpers.js';
import { zipf } from './syntheticCodeIndex.js';
import { writeSyntheticCorpus } from './syntheticCorpus.js';

const POINTS = (process.env.SCALE_POINTS ?? '10000,100000,1000000').split(',').map((s) => Number(s.trim()));
const SEARCHES = Number(process.env.SCALE_SEARCHES ?? 200);
const CHUNK_MAX_TOKENS = process.env.SCALE_CHUNK_MAX_TOKENS ?? '96';
// the hashing embedder's dense weight is 0 by default (it is not semantic); ask for dense by name so FAISS is searched as with a real model
const CHANNELS = (process.env.SCALE_CHANNELS ?? 'dense,bm25').split(',').filter(Boolean);
const EXTRA_ENV = Object.fromEntries(
  (process.env.SCALE_ENV ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
// debug: the query process logs its memory by component every 10 s (workers/memoryReport.ts); the last report is printed
const QUERY_LOG_LEVEL = process.env.SCALE_QUERY_LOG_LEVEL ?? 'info';
const KEEP_DATA = process.env.SCALE_KEEP_DATA ? path.resolve(process.env.SCALE_KEEP_DATA) : null;
const log = (msg: string) => process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const r2 = (x: number) => Math.round(x * 100) / 100;

interface RoleProcess {
  name: string;
  proc: ChildProcess;
  url: string | null;
  stderr: () => string;
  /** the catalog build child's report, when the process logged one (CATALOG_BUILD=process) */
  catalogBuild: () => { peakRssMb: number; ms: number } | null;
  /** the last memory report it logged (LOG_LEVEL=debug), or null */
  lastMemory: () => unknown;
}

/** Start one CLI process; resolves once it prints where it serves (API processes) or right away (workers). */
async function startRole(name: string, args: string[], env: Record<string, string>, waitForUrl: boolean): Promise<RoleProcess> {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let catalogBuild: { peakRssMb: number; ms: number } | null = null;
  let lastMemory: unknown = null;
  proc.stderr!.on('data', (d) => {
    err += d;
    // pino logs go to stderr
    const built = catalogBuild ? null : /\{[^\n]*"msg":"catalog file built in a child process"[^\n]*\}\n/.exec(err);
    if (built) catalogBuild = JSON.parse(built[0]) as { peakRssMb: number; ms: number };
    const reports = String(d).match(/\{[^\n]*"msg":"memory"[^\n]*\}/g);
    if (reports) {
      const r = JSON.parse(reports[reports.length - 1]) as Record<string, unknown>;
      lastMemory = { rssMb: r.rssMb, v8Mb: r.v8Mb, duckdbMb: r.duckdbMb };
    }
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  // pino logs to stdout: keep its tail for the failure report
  proc.stdout!.on('data', (d) => {
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  });
  const logs = () => `${out.slice(-3000)}\n${err.slice(-3000)}`;
  const build = () => catalogBuild && { peakRssMb: catalogBuild.peakRssMb, ms: catalogBuild.ms };
  if (!waitForUrl) return { name, proc, url: null, stderr: logs, catalogBuild: build, lastMemory: () => lastMemory };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 60 s:\n${err}`)), 60_000);
    const check = () => {
      const m = /serving at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${err}`));
    });
  });
  return { name, proc, url, stderr: logs, catalogBuild: build, lastMemory: () => lastMemory };
}

/** A live process's resident set now, split into anonymous memory (heaps) and file-backed pages (mapped FAISS files, code), in MB. */
async function rssNowMb(pid: number): Promise<{ anon: number; file: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const mb = (key: string) => Math.round(Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024);
  return { anon: mb('RssAnon'), file: mb('RssFile') };
}

/** Peak resident set (VmHWM) of a live process, in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

async function stopAll(procs: RoleProcess[]): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.proc.exitCode !== null || p.proc.signalCode !== null) return resolve();
          const timer = setTimeout(() => {
            log(`${p.name} (pid ${p.proc.pid}) did not exit within 30 s of SIGTERM; killing it`);
            p.proc.kill('SIGKILL');
          }, 30_000);
          p.proc.on('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          p.proc.kill('SIGTERM');
        }),
    ),
  );
}

/** What SCALE_KEEP_DATA keeps of a built point, so a later run can search it again without indexing. */
interface KeptPoint {
  corpus: string;
  dataDir: string;
  prefix: string;
  vocab: string[];
  chunks: number;
  indexS: number;
  indexRss: { index: number; gpu: number; sink: number };
}

const keptStatePath = (want: number) => path.join(KEEP_DATA!, String(want), 'state.json');

async function readKept(want: number): Promise<KeptPoint | null> {
  if (!KEEP_DATA) return null;
  try {
    return JSON.parse(await fs.readFile(keptStatePath(want), 'utf8')) as KeptPoint;
  } catch {
    return null;
  }
}

/** Index the corpus through the queue (the index process's API); the run's chunks and its own clock. */
async function indexCorpus(index: RoleProcess, corpus: string): Promise<{ chunks: number; indexS: number }> {
  const t0 = performance.now();
  const res = await fetch(`${index.url}/v1/index-jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ repo: corpus, name: 'scale' }),
  });
  const submitted = (await res.json()) as { jobId?: string; detail?: string };
  if (!submitted.jobId) throw new Error(`index job refused (${res.status}): ${submitted.detail}`);
  let view: IndexJobView;
  let lastLog = 0;
  for (;;) {
    view = (await (await fetch(`${index.url}/v1/index-jobs/${submitted.jobId}`)).json()) as IndexJobView;
    if (view.state === 'failed') throw new Error(`index run failed: ${view.error?.detail}`);
    if (view.state === 'completed') break;
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      log(`indexing: ${JSON.stringify(view.progress.chunks)} after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  // the run's own clock (request accepted → manifest committed), not the poll interval
  const indexS = Math.min(view.result!.durationMs / 1000, (performance.now() - t0) / 1000);
  const chunks = view.result!.chunks;
  log(`indexed ${chunks} chunks of ${view.result!.files} files in ${indexS.toFixed(1)} s (${Math.round(chunks / indexS)} chunks/s)`);
  return { chunks, indexS };
}

async function runPoint(want: number) {
  const kept = await readKept(want);
  const roleEnv = {
    LOG_LEVEL: 'warn',
    EMBEDDER: 'hashing',
    CHUNK_MAX_TOKENS,
    ...(process.env.SCALE_BATCH_SIZE ? { BATCH_SIZE: process.env.SCALE_BATCH_SIZE } : {}),
    ...EXTRA_ENV,
  };
  let corpus: string;
  let env: Record<string, string>;
  let dataDir: string;
  let prefix: string;
  if (kept) {
    ({ corpus, dataDir, prefix } = kept);
    const reused = await testEnv({ ...roleEnv, DATA_DIR: dataDir, REDIS_PREFIX: prefix });
    await removeDir(reused.dataDir); // testEnv's own temp dir: the kept one is used instead
    env = reused.env;
    log(`reusing the index kept in ${path.dirname(keptStatePath(want))} (${kept.chunks} chunks): query phase only`);
  } else {
    if (KEEP_DATA) await fs.mkdir(path.dirname(keptStatePath(want)), { recursive: true });
    corpus = KEEP_DATA ? path.join(path.dirname(keptStatePath(want)), 'corpus') : await makeTmpDir('codeintel-scale-corpus-');
    const fresh = await testEnv(roleEnv);
    if (KEEP_DATA) {
      // the kept DATA_DIR sits beside the corpus; testEnv's temp dir is not used
      await removeDir(fresh.dataDir);
      fresh.dataDir = path.join(path.dirname(keptStatePath(want)), 'data');
      fresh.env.DATA_DIR = fresh.dataDir;
      await fs.mkdir(corpus, { recursive: true });
      await fs.mkdir(fresh.dataDir, { recursive: true });
    }
    ({ env, dataDir, prefix } = fresh);
  }
  const procs: RoleProcess[] = [];
  try {
    let vocab: string[];
    let chunks: number;
    let indexS: number;
    let query: RoleProcess;
    if (kept) {
      ({ vocab, chunks, indexS } = kept);
      query = await startRole('query', ['serve', '--roles', 'none'], { ...env, LOG_LEVEL: QUERY_LOG_LEVEL }, true);
      procs.push(query);
    } else {
      const tc = performance.now();
      const written = await writeSyntheticCorpus({ dir: corpus, functions: want });
      vocab = written.vocab;
      log(`${want} functions in ${written.files} files written in ${((performance.now() - tc) / 1000).toFixed(1)} s`);

      const index = await startRole('index', ['serve', '--roles', 'index'], env, true);
      procs.push(index);
      procs.push(await startRole('gpu', ['worker', '--role', 'gpu'], env, false));
      procs.push(await startRole('sink', ['worker', '--role', 'sink'], env, false));
      // info: the query process logs the catalog build child's report
      query = await startRole('query', ['serve', '--roles', 'none'], { ...env, LOG_LEVEL: QUERY_LOG_LEVEL }, true);
      procs.push(query);
      ({ chunks, indexS } = await indexCorpus(index, corpus));
      if (KEEP_DATA) {
        const indexRss = { index: await peakRssMb(index.proc.pid!), gpu: await peakRssMb(procs[1].proc.pid!), sink: await peakRssMb(procs[2].proc.pid!) };
        const state: KeptPoint = { corpus, dataDir, prefix, vocab, chunks, indexS, indexRss };
        await fs.writeFile(keptStatePath(want), JSON.stringify(state));
        log(`kept for SCALE_KEEP_DATA in ${path.dirname(keptStatePath(want))} (Redis prefix ${prefix})`);
      }
    }
    for (const p of procs) p.proc.on('exit', (code, signal) => code !== 0 && code !== null && log(`${p.name} exited with ${code ?? signal}:\n${p.stderr().slice(-3000)}`));
    // 2. search through the query process
    const next = rng(99);
    const pick = zipf(vocab.length, next);
    const text = () => Array.from({ length: 2 + Math.floor(next() * 3) }, () => vocab[pick()].replace(/_/g, next() < 0.5 ? ' ' : '_')).join(' ');
    const search = async (q: string, timeoutMs = 60_000) => {
      const t = performance.now();
      const r = await fetch(`${query.url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repo: 'scale', query: q, k: 10, channels: CHANNELS }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await r.json()) as { hits?: unknown[]; timingsMs?: Record<string, number>; detail?: string };
      if (r.status !== 200) throw new Error(`search answered ${r.status}: ${body.detail}`);
      return { ms: performance.now() - t, body };
    };
    const tw = performance.now();
    await search('warm up the repo reader', 30 * 60_000);
    log(`first search (loads the repo reader) took ${((performance.now() - tw) / 1000).toFixed(1)} s; query RSS now ${await peakRssMb(query.proc.pid!)} MB peak; catalog build: ${JSON.stringify(query.catalogBuild())}`);
    for (let i = 0; i < 10; i++) await search(text());
    const searchMs: number[] = [];
    const stages: Record<string, number[]> = {};
    let empty = 0;
    for (let i = 0; i < SEARCHES; i++) {
      const { ms, body } = await search(text());
      searchMs.push(ms);
      if (!body.hits?.length) empty++;
      for (const [k, v] of Object.entries(body.timingsMs ?? {})) (stages[k] ??= []).push(v);
    }
    if (empty > SEARCHES / 2) throw new Error(`${empty} of ${SEARCHES} searches found nothing: the index is not what it should be`);
    log(`search: p50 ${r2(percentile(searchMs, 50))} ms, p95 ${r2(percentile(searchMs, 95))} ms; stage p95s: ${Object.entries(stages).map(([k, v]) => `${k} ${r2(percentile(v, 95))}`).join(', ')}`);

    const rss: Record<string, number> = {};
    for (const p of procs) rss[p.name] = await peakRssMb(p.proc.pid!);
    if (kept) Object.assign(rss, kept.indexRss); // those processes did not run this time: their figures from the build
    log(`peak RSS (MB): ${JSON.stringify(rss)}; query RSS now: ${JSON.stringify(await rssNowMb(query.proc.pid!))}`);
    if (query.lastMemory()) log(`query's last memory report: ${JSON.stringify(query.lastMemory())}`);
    return {
      chunks,
      index_s: r2(indexS),
      chunks_per_s: Math.round(chunks / indexS),
      peak_rss_mb: { index: rss.index, gpu: rss.gpu, sink: rss.sink, query: rss.query },
      search_p50_ms: r2(percentile(searchMs, 50)),
      search_p95_ms: r2(percentile(searchMs, 95)),
      // the catalog build child (not part of the query's RSS): its own peak, and how long it took
      catalog_build: query.catalogBuild(),
      // what the query's resident set is made of at the end (VmHWM has no such split)
      query_rss_now_mb: await rssNowMb(query.proc.pid!),
    };
  } catch (err) {
    for (const p of procs) log(`${p.name} log tail:\n${p.stderr().slice(-4000)}`);
    throw err;
  } finally {
    await stopAll(procs);
    if (!KEEP_DATA) {
      await dropPrefix(prefix);
      await removeDir(dataDir);
      await removeDir(corpus);
    }
  }
}

/** Least-squares slope of log(y) against log(x): 1 is linear growth. */
function growthExponent(xs: number[], ys: number[]): number | null {
  if (xs.length < 2) return null;
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
  const my = ly.reduce((a, b) => a + b, 0) / ly.length;
  const num = lx.reduce((s, x, i) => s + (x - mx) * (ly[i] - my), 0);
  const den = lx.reduce((s, x) => s + (x - mx) ** 2, 0);
  return Math.round((num / den) * 1000) / 1000;
}

const points = [];
for (const want of POINTS) {
  log(`point: ${want} chunks`);
  points.push(await runPoint(want));
}
const atMillion = points.find((p) => p.chunks >= 900_000);
console.log(
  JSON.stringify({
    points,
    index_growth_exponent: growthExponent(
      points.map((p) => p.chunks),
      points.map((p) => p.index_s),
    ),
    query_rss_mb_at_1m: atMillion ? atMillion.peak_rss_mb.query : null,
  }),
);
process.exit(0);
