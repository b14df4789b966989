/**
 * bench:index — index ≥ 2,000 files through the queue (API → index.run →
 * encode.dense / sink.batch flows → finalize) and through one plain loop doing
 * the same chunk → embed → write work in the same process, and compare.
 *
 * Last line: {"files", "chunks", "queue_chunks_per_s", "loop_chunks_per_s", "ratio"}
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { IndexJobView } from '../src/api/routes/indexJobs.js';
import { createDuckDb } from '../src/catalog/duckdb.js';
import { createChunker } from '../src/chunking/index.js';
import type { Chunk } from '../src/contracts/chunk.js';
import { loadConfig } from '../src/config/index.js';
import { createHashingEmbedder } from '../src/embedding/hashing.js';
import { denseDocumentText } from '../jobs/encodeDense.js';
import { silentLogger } from '../src/observability/logger.js';
import { openSnapshot } from '../src/repo/snapshot.js';
import { serve } from '../workers/serve.js';
import { createParquetSink } from '../src/sinks/parquetSink.js';
import { createVectorIndexPlanner } from '../src/vector/planner.js';
import { primaryIndexPolicy } from '../src/vector/policy.js';
import { dropPrefix, testEnv } from '../test/support/stack.js';
import { makeTmpDir, removeDir } from '../test/fixtures/repoHelpers.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const WANT_FILES = Number(process.env.BENCH_FILES ?? 2500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const log = (msg: string) => process.stderr.write(`[bench:index] ${msg}\n`);

/** Copy source files out of node_modules into a plain directory (node_modules is git-ignored here). */
async function buildCorpus(dest: string, want: number): Promise<number> {
  const exts = new Set(['.js', '.ts', '.mjs', '.cjs', '.md', '.json', '.py']);
  let copied = 0;
  async function walk(dir: string): Promise<void> {
    if (copied >= want) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (copied >= want) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && exts.has(path.extname(e.name))) {
        const stat = await fs.stat(full);
        if (stat.size > 200_000 || stat.size < 200) continue;
        const rel = path.relative(path.join(ROOT, 'node_modules'), full);
        await fs.mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
        await fs.copyFile(full, path.join(dest, rel));
        copied++;
      }
    }
  }
  await walk(path.join(ROOT, 'node_modules'));
  return copied;
}

async function queueRun(repo: string, round: number) {
  const { env, dataDir, prefix } = await testEnv({ LOG_LEVEL: 'silent' });
  const config = loadConfig(env);
  const server = await serve(config, silentLogger());
  try {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/v1/index-jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repo, name: `bench${round}` }),
    });
    const { jobId } = (await res.json()) as { jobId: string };
    for (;;) {
      const view = (await (await fetch(`${server.url}/v1/index-jobs/${jobId}`)).json()) as IndexJobView;
      if (view.state === 'failed') throw new Error(`queued run failed: ${view.error?.detail}`);
      if (view.state === 'completed') {
        // the run's own clock (request accepted → manifest committed), so the
        // poll interval neither adds to it nor loads the server much
        const seconds = Math.min(view.result!.durationMs / 1000, (performance.now() - t0) / 1000);
        return { seconds, files: view.result!.files, chunks: view.result!.chunks };
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await server.close();
    await dropPrefix(prefix);
    await removeDir(dataDir);
  }
}

/** The same work with no queue: list + hash, chunk, embed, write Parquet parts, build the FAISS index. */
async function loopRun(repo: string) {
  const { env, dataDir } = await testEnv();
  const config = loadConfig(env);
  const db = await createDuckDb({ poolSize: 6 });
  try {
    const t0 = performance.now();
    const snapshot = await openSnapshot(repo, { maxFileBytes: config.intake.maxFileBytes, maxLineChars: config.intake.maxLineChars });
    const { files } = await snapshot.listFiles();
    const chunker = createChunker(config.chunking);
    const embedder = createHashingEmbedder({ dim: config.embedding.dim });
    const sink = createParquetSink({ db, dataDir });
    await sink.init(embedder.contract);
    const ids: string[] = [];
    const rows: Float32Array[] = [];
    let pending: Chunk[] = [];
    let batch = 0;
    const flush = async () => {
      if (!pending.length) return;
      const dense = await embedder.embedDocuments(pending.map(denseDocumentText));
      await sink.writeBatch({ repo: 'loop', runId: 'loop', batchIndex: batch++, chunks: pending, dense, embedding: embedder.contract });
      pending.forEach((c, i) => {
        ids.push(c.id);
        rows.push(dense[i]);
      });
      pending = [];
    };
    for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
      for (const c of await chunker.chunkFile(f.path, await snapshot.read(f.path), f.language)) {
        pending.push(c);
        if (pending.length >= config.batchSize) await flush();
      }
    }
    await flush();
    const repoDir = path.join(dataDir, 'repos', 'loop');
    await createVectorIndexPlanner(primaryIndexPolicy(config.faiss)).buildPrimary({ repoDir, version: 1, dim: embedder.contract.dim, ids, rows });
    return { seconds: (performance.now() - t0) / 1000, files: files.length, chunks: ids.length };
  } finally {
    await db.close();
    await removeDir(dataDir);
  }
}

const corpus = await makeTmpDir('codeintel-bench-index-');
try {
  const copied = await buildCorpus(corpus, WANT_FILES);
  log(`corpus: ${copied} files copied from node_modules into ${corpus}`);
  // warm both paths up (JIT, DuckDB, tree-sitter grammars) on the same corpus before measuring
  await loopRun(corpus);
  const queue: { seconds: number; files: number; chunks: number }[] = [];
  const loop: { seconds: number; files: number; chunks: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    queue.push(await queueRun(corpus, round));
    loop.push(await loopRun(corpus));
    log(`round ${round + 1}: queue ${queue.at(-1)!.seconds.toFixed(2)} s, loop ${loop.at(-1)!.seconds.toFixed(2)} s`);
  }
  const best = (xs: { seconds: number }[]) => Math.min(...xs.map((x) => x.seconds));
  const chunks = loop[0].chunks;
  if (queue.some((q) => q.chunks !== chunks)) throw new Error(`queue runs indexed ${queue.map((q) => q.chunks)} chunks but the loop ${chunks}`);
  const queueRate = chunks / best(queue);
  const loopRate = chunks / best(loop);
  const result = {
    files: loop[0].files,
    chunks,
    queue_chunks_per_s: Math.round(queueRate),
    loop_chunks_per_s: Math.round(loopRate),
    ratio: Number((queueRate / loopRate).toFixed(3)),
  };
  console.log(JSON.stringify(result));
} finally {
  await removeDir(corpus);
}
process.exit(0);
