import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../artifacts/atomicWrite.js';
import type { VectorIndexRef } from '../manifest/manifest.js';
import { buildIndexFileInWorker } from './buildInWorker.js';
import { FaissIndex } from './faissNative.js';

/** Pack rows into one contiguous buffer, as FAISS wants them. */
export function packRows(rows: Float32Array[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => {
    if (row.length !== dim) throw new Error(`vector ${i} has ${row.length} values, expected ${dim}`);
    out.set(row, i * dim);
  });
  return out;
}

export interface BuildIndexInput {
  repoDir: string;
  /** file stem, e.g. "faiss/primary-v3" */
  name: string;
  factory: string;
  dim: number;
  ids: string[];
  /**
   * n*dim floats. Index types that need training (or big inputs) are built
   * on a worker thread that takes the buffer over: do not use it afterwards.
   */
  vectors: Float32Array;
  /** rows sampled to train IVF/PQ indexes (all rows when absent) */
  trainSize?: number;
  params?: Record<string, number>;
  nlist?: number;
  m?: number;
}

/** Flat indexes up to this many floats are written on the calling thread (a memcpy and a file write). */
const INLINE_FLAT_MAX_FLOATS = 16 * 1024 * 1024;

/**
 * Build a FAISS index (inner product over L2-normalised vectors) and write
 * it with its chunk-id list. Files are written once, under a versioned name,
 * atomically; the manifest commit is what makes them visible.
 */
export async function buildIndexFiles(input: BuildIndexInput): Promise<VectorIndexRef> {
  const { repoDir, name, factory, dim, ids, vectors } = input;
  if (vectors.length !== ids.length * dim) throw new Error(`index ${name}: ${ids.length} ids but ${vectors.length / dim} vectors`);
  if (ids.length === 0 && factory !== 'Flat') throw new Error(`index ${name}: cannot train ${factory} on no vectors`);
  const file = `${name}.index`;
  const idsFile = `${name}.ids.json`;
  const full = path.join(repoDir, file);
  await fs.mkdir(path.dirname(full), { recursive: true });
  const tmp = `${full}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let trainedOn = 0;
  try {
    if (factory === 'Flat' && vectors.length <= INLINE_FLAT_MAX_FLOATS) {
      const index = FaissIndex.create(dim, factory, 'ip');
      try {
        if (vectors.length) index.add(vectors);
        index.write(tmp);
      } finally {
        index.free();
      }
    } else {
      const built = await buildIndexFileInWorker({ file: tmp, dim, factory, metric: 'ip', vectors, trainSize: input.trainSize, params: input.params });
      if (built.ntotal !== ids.length) throw new Error(`index ${name}: built ${built.ntotal} vectors for ${ids.length} ids`);
      trainedOn = built.trainedOn;
    }
    // the manifest will name this file: it must be on disk before the commit
    const handle = await fs.open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, full);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await writeFileAtomic(path.join(repoDir, idsFile), JSON.stringify(ids));
  return {
    file,
    idsFile,
    type: factory,
    dim,
    metric: 'ip',
    count: ids.length,
    builtAt: new Date().toISOString(),
    trainedOn,
    ...(input.nlist !== undefined ? { nlist: input.nlist } : {}),
    ...(input.m !== undefined ? { m: input.m } : {}),
  };
}
