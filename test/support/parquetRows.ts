import { sqlString, type DuckDb } from '../../src/catalog/duckdb.js';

export interface ChunkRowCounts {
  /** rows over every part */
  rows: number;
  /** distinct chunk ids over every part */
  distinct: number;
  /** chunk ids written more than once, with how often */
  duplicates: { chunkId: string; n: number }[];
}

/** How often each chunk id was written into the Parquet parts under `partsDir` (DuckDB over the files themselves). */
export async function countChunkRows(db: DuckDb, partsDir: string): Promise<ChunkRowCounts> {
  const parts = sqlString(`${partsDir}/*.parquet`);
  return db.withConnection(async (conn) => {
    const totals = (await conn.runAndReadAll(`SELECT count(*)::INTEGER AS rows, count(DISTINCT chunk_id)::INTEGER AS distinct_ids FROM read_parquet(${parts})`)).getRowObjectsJS()[0];
    const dups = (
      await conn.runAndReadAll(`SELECT chunk_id, count(*)::INTEGER AS n FROM read_parquet(${parts}) GROUP BY chunk_id HAVING count(*) > 1 ORDER BY chunk_id LIMIT 20`)
    ).getRowObjectsJS();
    return {
      rows: Number(totals.rows),
      distinct: Number(totals.distinct_ids),
      duplicates: dups.map((d) => ({ chunkId: String(d.chunk_id), n: Number(d.n) })),
    };
  });
}
