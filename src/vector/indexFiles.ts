import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic } from '../artifacts/atomicWrite.js';
import type { VectorIndexRef } from '../manifest/manifest.js';
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
  vectors: Float32Array;
  /** vectors to train on when the index type needs training */
  trainSample?: Float32Array;
  params?: Record<string, number>;
  nlist?: number;
  m?: number;
}

/**
 * Build a FAISS index (inner product over L2-normalised vectors) and write
 * it with its chunk-id list. Files are written once, under a versioned name,
 * atomically; the manifest commit is what makes them visible.
 */
export async function buildIndexFiles(input: BuildIndexInput): Promise<VectorIndexRef> {
  const { repoDir, name, factory, dim, ids, vectors } = input;
  if (vectors.length !== ids.length * dim) throw new Error(`index ${name}: ${ids.length} ids but ${vectors.length / dim} vectors`);
  const index = FaissIndex.create(dim, factory, 'ip');
  let trainedOn = 0;
  try {
    if (!index.isTrained) {
      const sample = input.trainSample ?? vectors;
      index.train(sample);
      trainedOn = sample.length / dim;
    }
    for (const [k, v] of Object.entries(input.params ?? {})) index.setParam(k, v);
    // add in slices so one huge call does not hold a giant temporary
    const step = 65_536 * dim;
    for (let off = 0; off < vectors.length; off += step) index.add(vectors.subarray(off, Math.min(vectors.length, off + step)));
    const file = `${name}.index`;
    const idsFile = `${name}.ids.json`;
    const full = path.join(repoDir, file);
    await fs.mkdir(path.dirname(full), { recursive: true });
    const tmp = `${full}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    index.write(tmp);
    await fs.rename(tmp, full);
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
      nlist: input.nlist,
      m: input.m,
    };
  } finally {
    index.free();
  }
}
