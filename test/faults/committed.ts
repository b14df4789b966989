import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createDuckDb } from '../../src/catalog/duckdb.js';

/** What one committed version of a repo holds: chunk rows in every Parquet part file on disk, and ids in its FAISS id map. */
export interface CommittedCounts {
  parquet: { total: number; distinct_ids: number };
  faiss: { total: number; distinct: number };
}

/** Chunks of one repo in Parquet (every part file on disk) and in its committed FAISS id map. */
export async function committedCounts(dataDir: string, name: string, manifestVersion: number): Promise<CommittedCounts> {
  const repoDir = path.join(dataDir, 'repos', name);
  const db = await createDuckDb({ threads: 1 });
  try {
    const parquet = await db.withConnection(async (c) => {
      const r = await c.runAndReadAll(
        `SELECT count(*)::INTEGER AS total, count(DISTINCT chunk_id)::INTEGER AS distinct_ids FROM read_parquet('${repoDir}/parts/*.parquet')`,
      );
      return r.getRowObjects()[0] as { total: number; distinct_ids: number };
    });
    const manifest = JSON.parse(await fs.readFile(path.join(repoDir, `manifest-v${manifestVersion}.json`), 'utf8'));
    const ids: string[] = JSON.parse(await fs.readFile(path.join(repoDir, manifest.vectors.primary.idsFile), 'utf8'));
    return { parquet, faiss: { total: ids.length, distinct: new Set(ids).size } };
  } finally {
    await db.close();
  }
}
