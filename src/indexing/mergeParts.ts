import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { LIST, VARCHAR, listValue } from '@duckdb/node-api';
import { sqlIdent, sqlString, type DuckDb } from '../catalog/duckdb.js';
import type { EmbeddingContract } from '../contracts/embedding.js';
import type { SparseContract } from '../contracts/sparse.js';
import { provenanceKvLiteral } from '../sinks/parquetSink.js';

export interface MergePartsInput {
  /** absolute paths of a version's parts, oldest first (the catalog's "last part wins" order) */
  parts: string[];
  /** chunk ids the version records as deleted */
  deletedChunkIds: string[];
  /** absolute path of the merged part */
  output: string;
  embedding: EmbeddingContract;
  sparse: SparseContract | null;
  /** e.g. "v12": written into the part's metadata */
  compactedFrom: string;
}

/**
 * Rewrite a version's Parquet parts as one part: deleted chunks dropped, and
 * one row per chunk id, the newest part's (as the catalog reads them). The
 * survivors are picked on a narrow pass (id, file, row number) and the wide
 * rows (content, term maps, vectors) are copied once, so this streams.
 * Written beside its final name and renamed into place.
 */
export async function mergeParts(db: DuckDb, input: MergePartsInput): Promise<{ rows: number }> {
  await mkdir(path.dirname(input.output), { recursive: true });
  const tmp = path.join(path.dirname(input.output), `.${path.basename(input.output)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const keep = sqlIdent(`merge_keep_${randomBytes(6).toString('hex')}`);
  // table functions take no parameters for their file list inside COPY: the paths are ours, quoted
  const list = `[${input.parts.map(sqlString).join(', ')}]`;
  try {
    const rows = await db.withConnection(async (conn) => {
      try {
        await conn.run(
          `CREATE TEMP TABLE ${keep} AS
           SELECT filename, file_row_number
           FROM read_parquet(${list}, filename = true, file_row_number = true)
           WHERE chunk_id NOT IN (SELECT unnest($deleted))
           QUALIFY row_number() OVER (PARTITION BY chunk_id ORDER BY list_position(${list}, filename) DESC) = 1`,
          { deleted: listValue(input.deletedChunkIds) },
          { deleted: LIST(VARCHAR) },
        );
        await conn.run(`COPY (
            SELECT p.* EXCLUDE (filename, file_row_number)
            FROM read_parquet(${list}, filename = true, file_row_number = true) p
            SEMI JOIN ${keep} k ON k.filename = p.filename AND k.file_row_number = p.file_row_number
          ) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, KV_METADATA ${provenanceKvLiteral(input.embedding, input.sparse, { compacted_from: input.compactedFrom })})`);
        const r = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${keep}`);
        return Number(r.getRowObjectsJS()[0].n);
      } finally {
        await conn.run(`DROP TABLE IF EXISTS ${keep}`);
      }
    });
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, input.output);
    return { rows };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

