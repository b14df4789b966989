/**
 * A synthetic code corpus written straight into a committed index through the
 * real write path (Parquet sink → FAISS planner → ManifestStore), skipping
 * the queue so a 100k-chunk index builds in a couple of minutes. Chunks are
 * Python-looking functions over a Zipf-distributed identifier vocabulary, so
 * BM25 posting lists are as skewed as in real code; vectors come from the
 * same embedder the server uses for queries (hashing, 384-d by default).
 */
import { createHash } from 'node:crypto';
import { chunkId } from '../src/chunking/chunk.js';
import { type Chunk } from '../src/contracts/chunk.js';
import type { DuckDb } from '../src/catalog/duckdb.js';
import type { Config } from '../src/config/index.js';
import type { Embedder } from '../src/embedding/port.js';
import type { Manifest, ManifestFileEntry } from '../src/manifest/manifest.js';
import { DirectoryManifestStore } from '../src/manifest/store.js';
import { createParquetSink } from '../src/sinks/parquetSink.js';
import { createVectorIndexPlanner } from '../src/vector/planner.js';
import { primaryIndexPolicy } from '../src/vector/policy.js';
import { denseDocumentText } from '../jobs/encodeDense.js';
import { rng } from '../src/vector/rng.mjs';

/**
 * Identifiers made of 1-3 base words (snake_case or camelCase), the base
 * words themselves Zipf-distributed: a few parts ("get", "value") are in most
 * chunks, most are rare, as in real code. Deterministic for a seed.
 */
export function vocabulary(n: number, seed = 7, baseWords = 4_000): string[] {
  const next = rng(seed);
  const C = 'bcdfghjklmnprstvwz';
  const V = 'aeiou';
  const words = new Set<string>();
  while (words.size < baseWords) {
    const syllables = 1 + Math.floor(next() * 3);
    let w = '';
    for (let i = 0; i < syllables; i++) w += C[Math.floor(next() * C.length)] + V[Math.floor(next() * V.length)] + (next() < 0.3 ? C[Math.floor(next() * C.length)] : '');
    words.add(w);
  }
  const base = [...words];
  const pickBase = zipf(base.length, next);
  const out = new Set<string>();
  while (out.size < n) {
    const parts = Array.from({ length: 1 + Math.floor(next() * 3) }, () => base[pickBase()]);
    const camel = next() < 0.4;
    out.add(camel ? parts.map((p, i) => (i ? p[0].toUpperCase() + p.slice(1) : p)).join('') : parts.join('_'));
  }
  return [...out];
}

/** Zipf(s≈1) sampler over ranks 0..n-1. */
export function zipf(n: number, next: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  return () => {
    const x = next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface SyntheticIndexOptions {
  config: Config;
  db: DuckDb;
  embedder: Embedder;
  repo: string;
  chunks: number;
  chunksPerFile?: number;
  batchSize?: number;
  vocabSize?: number;
  seed?: number;
  log?: (msg: string) => void;
  /** keep an index this function built before (same repo, same size) instead of building again */
  reuse?: boolean;
}

/** Build and commit version 1 of `repo`; returns the vocabulary (for queries) and the chunk count. */
export async function buildSyntheticIndex(opts: SyntheticIndexOptions): Promise<{ vocab: string[]; chunks: number; manifest: Manifest }> {
  const chunksPerFile = opts.chunksPerFile ?? 20;
  const batchSize = opts.batchSize ?? 5_000;
  const vocab = vocabulary(opts.vocabSize ?? 20_000, opts.seed ?? 7);
  const next = rng(opts.seed ?? 11);
  const pick = zipf(vocab.length, next);
  const word = () => vocab[pick()];
  const log = opts.log ?? (() => {});
  const manifests = new DirectoryManifestStore(opts.config.dataDir);
  const repoDir = manifests.repoDir(opts.repo);
  if (opts.reuse) {
    const existing = await manifests.current(opts.repo);
    if (existing && existing.stats.chunks === opts.chunks && existing.embedding.model === opts.embedder.contract.model) {
      log(`reusing the index of ${existing.stats.chunks} chunks in ${opts.config.dataDir}`);
      return { vocab, chunks: existing.stats.chunks, manifest: existing };
    }
  }
  const sink = createParquetSink({ db: opts.db, dataDir: opts.config.dataDir, durable: false });
  await sink.init(opts.embedder.contract);

  const files: Record<string, ManifestFileEntry> = {};
  const parts: string[] = [];
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  const runId = `bench-${Date.now()}`;
  let made = 0;
  let batchIndex = 0;
  while (made < opts.chunks) {
    const batch: Chunk[] = [];
    while (batch.length < batchSize && made < opts.chunks) {
      const fileNo = Math.floor(made / chunksPerFile);
      const rel = `pkg${fileNo % 97}/${word()}_${fileNo}.py`.replace(/[^A-Za-z0-9_./]/g, '_');
      const fileChunks: string[] = [];
      let line = 1;
      for (let c = 0; c < chunksPerFile && made < opts.chunks; c++, made++) {
        const fn = word();
        const body = Array.from({ length: 6 + Math.floor(next() * 10) }, () => `    ${word()} = ${word()}(${word()}, ${word()}.${word()})`);
        const text = [`def ${fn}(${word()}, ${word()}):`, `    """${word()} ${word()} ${word()} for ${word()}."""`, ...body, `    return ${word()}`].join('\n');
        const endLine = line + text.split('\n').length - 1;
        const chunk: Chunk = { id: chunkId(rel, `${made}\n${text}`), path: rel, startLine: line, endLine, language: 'python', symbols: [fn], text };
        line = endLine + 2;
        batch.push(chunk);
        fileChunks.push(chunk.id);
      }
      files[rel] = { hash: createHash('sha256').update(fileChunks.join(',')).digest('hex'), language: 'python', chunkIds: fileChunks };
    }
    const dense = await opts.embedder.embedDocuments(batch.map(denseDocumentText));
    const written = await sink.writeBatch({ repo: opts.repo, runId, batchIndex, chunks: batch, dense, embedding: opts.embedder.contract });
    parts.push(written.ref!);
    batch.forEach((c, i) => {
      ids.push(c.id);
      rows.push(dense[i]);
    });
    batchIndex++;
    log(`${made}/${opts.chunks} chunks embedded and written to Parquet`);
  }

  const t0 = performance.now();
  const planner = createVectorIndexPlanner(primaryIndexPolicy(opts.config.faiss));
  const primary = await planner.buildPrimary({ repoDir, version: 1, dim: opts.embedder.contract.dim, ids, rows });
  log(`FAISS ${primary.type} over ${primary.count} vectors built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const manifest: Manifest = {
    formatVersion: 1,
    version: 1,
    repo: opts.repo,
    source: { kind: 'local', location: '(synthetic)', root: '(synthetic)' },
    runId,
    createdAt: new Date().toISOString(),
    embedding: opts.embedder.contract,
    sparse: null,
    files,
    parts,
    deletedChunkIds: [],
    vectors: { primary, secondary: null },
    stats: { files: Object.keys(files).length, chunks: ids.length },
  };
  await manifests.commit(manifest);
  return { vocab, chunks: ids.length, manifest };
}
