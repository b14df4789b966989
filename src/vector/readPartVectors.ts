import { DuckDBListVector, DuckDBVarCharVector, DuckDBArrayVector } from '@duckdb/node-api';
import { sqlString, type DuckDb } from '../catalog/duckdb.js';

export interface PartVectors {
  ids: string[];
  /** ids.length * dim floats, row i belongs to ids[i] */
  vectors: Float32Array;
}

/**
 * Read the (chunk_id, embedding) columns of Parquet parts into one packed
 * buffer, chunk by chunk through DuckDB's vectors: the embedding column
 * arrives as a list vector whose child holds the floats contiguously, so a
 * million 384-d rows cost about ten seconds, not millions of JS objects.
 * Only rows whose id `keep` accepts are taken; a row of the wrong width fails.
 */
export async function readPartVectors(db: DuckDb, parts: string[], dim: number, keep: (id: string) => boolean = () => true): Promise<PartVectors> {
  if (parts.length === 0) return { ids: [], vectors: new Float32Array(0) };
  const list = `[${parts.map(sqlString).join(', ')}]`;
  return db.withConnection(async (conn) => {
    const total = Number((await conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM read_parquet(${list})`)).getRowObjectsJS()[0].n);
    let out = new Float32Array(total * dim);
    const ids: string[] = [];
    const result = await conn.stream(`SELECT chunk_id, embedding FROM read_parquet(${list})`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const idCol = chunk.getColumnVector(0) as DuckDBVarCharVector;
      const embCol = chunk.getColumnVector(1);
      for (let r = 0; r < chunk.rowCount; r++) {
        const id = idCol.getItem(r);
        if (id === null || !keep(id)) continue;
        const row = rowFloats(embCol, r);
        if (row === null || row.length !== dim) {
          throw new Error(`chunk ${id}: its embedding has ${row?.length ?? 0} values, the index expects ${dim}`);
        }
        if (ids.length >= total) throw new Error('the parts changed while they were read');
        out.set(row, ids.length * dim);
        ids.push(id);
      }
    }
    if (ids.length * dim < out.length) out = out.slice(0, ids.length * dim);
    return { ids, vectors: out };
  });
}

/** One row's floats, as a view when the driver exposes the child buffer, as a copy otherwise. */
function rowFloats(col: unknown, r: number): Float32Array | null {
  if (col instanceof DuckDBListVector) {
    const child = col.childVector as unknown as { items?: unknown; getItem(i: number): number | null };
    const off = col.getEntryOffset(r);
    const len = col.getEntryLength(r);
    if (len === 0) return null;
    // the driver keeps the floats in a Float32Array over DuckDB's memory; use it when it is there
    if (child.items instanceof Float32Array) return child.items.subarray(off, off + len);
    const row = new Float32Array(len);
    for (let j = 0; j < len; j++) row[j] = child.getItem(off + j) ?? Number.NaN;
    return row;
  }
  if (col instanceof DuckDBArrayVector) {
    const v = col.getItem(r);
    return v ? Float32Array.from(v.items as number[]) : null;
  }
  throw new Error('the embedding column is neither a list nor an array');
}
