/**
 * The peer ranker of bench:quality: LanceDB full-text search, default
 * settings, over exactly the chunks codeintel indexed — read back from the
 * Parquet parts the repo's current manifest names, one row per live chunk.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { RankedHit } from './metrics.js';

interface ManifestView {
  parts: string[];
  deletedChunkIds: string[];
}

export interface PeerChunk {
  chunk_id: string;
  path: string;
  start_line: number;
  end_line: number;
  content: string;
}

/** The live chunks of a repo's current version, straight from its Parquet parts. */
export async function readIndexedChunks(dataDir: string, repo: string): Promise<PeerChunk[]> {
  const repoDir = path.join(dataDir, 'repos', repo);
  const version = (await fs.readFile(path.join(repoDir, 'CURRENT'), 'utf8')).trim();
  const manifest = JSON.parse(await fs.readFile(path.join(repoDir, `manifest-v${version}.json`), 'utf8')) as ManifestView;
  if (!manifest.parts.length) throw new Error(`bench:quality: repo ${repo} has no Parquet parts`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const files = manifest.parts.map((p) => `'${path.join(repoDir, p).replace(/'/g, "''")}'`).join(', ');
    const reader = await conn.runAndReadAll(
      `SELECT chunk_id, path, start_line, end_line, content FROM read_parquet([${files}]) ORDER BY path, start_line`,
    );
    const deleted = new Set(manifest.deletedChunkIds);
    return (reader.getRowObjectsJS() as unknown as PeerChunk[]).filter((r) => !deleted.has(r.chunk_id));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export interface PeerIndex {
  search(query: string, k: number): Promise<RankedHit[]>;
}

/** A LanceDB table of the chunks with an FTS index on the text, all options at their defaults. */
export async function buildLancePeer(dir: string, repo: string, chunks: PeerChunk[]): Promise<PeerIndex> {
  // Lance logs each new table and a deprecation notice per query at WARN; its log level is read when the addon loads
  process.env.LANCEDB_LOG ??= 'error';
  const lancedb = await import('@lancedb/lancedb');
  const db = await lancedb.connect(dir);
  const table = await db.createTable(repo, chunks as unknown as Record<string, unknown>[], { mode: 'overwrite' });
  await table.createIndex('content', { config: lancedb.Index.fts() });
  return {
    async search(query, k) {
      const rows = await table.query().fullTextSearch(query).select(['path', 'start_line', 'end_line']).limit(k).toArray();
      return rows.map((r) => ({ path: String(r.path), startLine: Number(r.start_line), endLine: Number(r.end_line) }));
    },
  };
}
