/**
 * Where a query process's memory goes, by component, against an index kept by
 * `SCALE_KEEP_DATA=dir npm run bench:scale` (its dir/<points>/state.json).
 * Loads the repo reader the way a query process does (the catalog file, FAISS
 * with the configured mmap), one part at a time, then searches as bench:scale
 * does, and prints after each step: process.memoryUsage() (after a GC),
 * /proc/self/status (RSS, anonymous, file-backed, peak), /proc/self/smaps
 * summed by mapping (the FAISS file, the catalog file, V8/malloc anonymous
 * memory, code) and DuckDB's duckdb_memory().
 *
 *   node --expose-gc --import tsx bench/queryMemory.ts /tmp/scale-keep/1000000
 *
 * Knobs: QM_SEARCHES (200), QM_CHANNELS (dense,bm25); any setting of src/config from the environment.
 * Last line: JSON of every step.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { loadCatalog } from '../src/catalog/chunkCatalog.js';
import { createProcessCatalogBuilder } from '../src/catalog/catalogBuildProcess.js';
import { loadConfig } from '../src/config/index.js';
import { referencedFiles, servingManifest } from '../src/manifest/manifest.js';
import { createLogger } from '../src/observability/logger.js';
import { RepoReaders, type RepoReader } from '../src/retrieval/repoReaders.js';
import { createSearchService, type ChannelName } from '../src/retrieval/searchService.js';
import { LoadedVectorIndex } from '../src/vector/loadedIndex.js';
import { trimNativeHeap } from '../src/vector/faissNative.js';
import { createMappedPagesBudget } from '../src/vector/mappedPagesBudget.js';
import { rng } from '../src/vector/rng.mjs';
import { createRuntime } from '../workers/runtime.js';
import { zipf } from './syntheticCodeIndex.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: queryMemory.ts <SCALE_KEEP_DATA dir>/<points>');
const state = JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8')) as { dataDir: string; prefix: string; vocab: string[] };
const SEARCHES = Number(process.env.QM_SEARCHES ?? 200);
const CHANNELS = (process.env.QM_CHANNELS ?? 'dense,bm25').split(',') as ChannelName[];
const REPO = 'scale';

const config = loadConfig({ EMBEDDER: 'hashing', CHUNK_MAX_TOKENS: '96', ...process.env, DATA_DIR: state.dataDir, REDIS_PREFIX: state.prefix });
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
const runtime = createRuntime(config, logger);
const mb = (b: number) => Math.round(b / 1048576);

/** /proc/self/smaps summed by what a mapping is. */
async function smapsByKind(faissDir: string, catalogDir: string): Promise<Record<string, { rss: number; anon: number }>> {
  const text = await fs.readFile('/proc/self/smaps', 'utf8');
  const out: Record<string, { rss: number; anon: number }> = {};
  let kind = 'other';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1];
      kind = !name
        ? 'anon (V8 heap, malloc arenas, DuckDB buffers)'
        : name === '[heap]'
          ? '[heap] (malloc brk)'
          : name.startsWith(faissDir)
            ? 'FAISS file'
            : name.startsWith(catalogDir)
              ? 'catalog file'
              : name.startsWith('[')
                ? name
                : 'code and other files';
      continue;
    }
    const kv = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (kv) {
      const slot = (out[kind] ??= { rss: 0, anon: 0 });
      if (kv[1] === 'Rss') slot.rss += Number(kv[2]) * 1024;
      else slot.anon += Number(kv[2]) * 1024;
    }
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v.rss > 0).map(([k, v]) => [k, { rss: mb(v.rss), anon: mb(v.anon) }]));
}

const steps: Record<string, unknown>[] = [];
async function snapshot(step: string, faissDir: string, catalogDir: string): Promise<void> {
  // twice, with a turn of the event loop between: ArrayBuffers' backing stores are freed after their wrappers' collection
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setImmediate(r));
  gc?.();
  const m = process.memoryUsage();
  const status = await fs.readFile('/proc/self/status', 'utf8');
  const kb = (key: string) => mb(Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024);
  const db = await runtime.duckdb();
  const duck = await db.withConnection(async (conn) =>
    (await conn.runAndReadAll(`SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0 OR temporary_storage_bytes > 0`)).getRowsJS(),
  );
  const s = {
    step,
    status: { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), peak: kb('VmHWM') },
    node: { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) },
    duckdb: Object.fromEntries(duck.map(([tag, used, tmp]) => [String(tag), { mb: mb(Number(used)), tempMb: mb(Number(tmp)) }])),
    smaps: await smapsByKind(faissDir, catalogDir),
  };
  steps.push(s);
  process.stderr.write(`[queryMemory] ${JSON.stringify(s)}\n`);
}

const catalogDir = path.resolve(config.retrieval.catalogDir ?? path.join(config.dataDir, 'catalogs'));
const repoDir = runtime.manifests.repoDir(REPO);
const db = await runtime.duckdb();
await snapshot('runtime and DuckDB started', repoDir, catalogDir);

const mappedPages = createMappedPagesBudget(config.retrieval.faissMappedBytes);
const readers = new RepoReaders({
  manifests: runtime.manifests,
  db,
  logger,
  trimNativeHeap,
  open: async (repo, version): Promise<RepoReader> => {
    const manifest = await runtime.manifests.read(repo, version);
    await runtime.manifests.materialize(repo, referencedFiles(manifest));
    const catalog = await loadCatalog(db, {
      parts: manifest.parts.map((p) => path.join(repoDir, p)),
      deletedChunkIds: manifest.deletedChunkIds,
      learnVocabulary: config.retrieval.repoVocabularyWeight > 0,
      storeDir: path.join(catalogDir, encodeURIComponent(repo)),
      buildFile: createProcessCatalogBuilder({ memoryLimitMb: config.retrieval.catalogBuildMemoryLimitMb, threads: config.duckdb.threads, tempDir: '/tmp/codeintel-qm', timeoutMs: config.retrieval.catalogBuildTimeoutMs, logger }),
    });
    await snapshot(`catalog loaded (JS estimate ${mb(catalog.memoryBytes())} MB)`, repoDir, catalogDir);
    const params = { nprobe: config.faiss.nprobe, efSearch: 128 };
    const load = (ref: typeof manifest.vectors.primary) => (ref ? LoadedVectorIndex.load(repoDir, ref, params, { mmap: config.retrieval.faissMmap, mappedPages }) : null);
    const primary = await load(manifest.vectors.primary);
    const secondary = await load(manifest.vectors.secondary);
    await snapshot(`FAISS loaded (estimate ${mb((primary?.memoryBytes ?? 0) + (secondary?.memoryBytes ?? 0))} MB)`, repoDir, catalogDir);
    return { manifest: servingManifest(manifest), catalog, primary, secondary, deleted: new Set(manifest.deletedChunkIds) };
  },
});
const search = createSearchService({
  readers,
  embedder: runtime.embedder,
  expandQuery: null,
  logger,
  rrfK: config.retrieval.rrfK,
  defaultBudgetMs: config.retrieval.budgetMs,
  hydrateBudgetMs: config.retrieval.hydrateBudgetMs,
  repoVocabularyWeight: config.retrieval.repoVocabularyWeight,
});

// the queries of bench:scale
const next = rng(99);
const pick = zipf(state.vocab.length, next);
const text = () => Array.from({ length: 2 + Math.floor(next() * 3) }, () => state.vocab[pick()].replace(/_/g, next() < 0.5 ? ' ' : '_')).join(' ');
const one = (query: string) => search.search({ repo: REPO, query, k: 10, channels: CHANNELS });
await one('warm up the repo reader');
await snapshot('first search', repoDir, catalogDir);
for (let i = 0; i < 10; i++) await one(text());
await snapshot('11 searches', repoDir, catalogDir);
const ms: number[] = [];
for (let i = 0; i < SEARCHES; i++) {
  const t = performance.now();
  await one(text());
  ms.push(performance.now() - t);
}
ms.sort((a, b) => a - b);
await snapshot(`${SEARCHES + 11} searches (p50 ${ms[Math.floor(ms.length / 2)].toFixed(1)} ms, p95 ${ms[Math.ceil(ms.length * 0.95) - 1].toFixed(1)} ms)`, repoDir, catalogDir);
const tt = performance.now();
trimNativeHeap();
await snapshot(`trimmed the native heap after the searches (${(performance.now() - tt).toFixed(1)} ms)`, repoDir, catalogDir);
console.log(JSON.stringify(steps));
await readers.close();
await runtime.close();
process.exit(0);
