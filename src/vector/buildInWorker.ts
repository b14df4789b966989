import { Worker } from 'node:worker_threads';
import { FAISS_ADDON_PATH, loadFaissAddon, type Metric } from './faissNative.js';

export interface WorkerBuildInput {
  /** where the index is written (the caller renames it into place) */
  file: string;
  dim: number;
  factory: string;
  metric: Metric;
  /** n*dim floats; its buffer is transferred to the worker, so the caller must not use it afterwards */
  vectors: Float32Array;
  /** rows sampled for training when the index type needs it (all rows when absent) */
  trainSize?: number;
  seed?: number;
  params?: Record<string, number>;
}

export interface WorkerBuildResult {
  ntotal: number;
  trainedOn: number;
  trainMs: number;
  addMs: number;
  ms: number;
}

const WORKER_URL = new URL('./indexBuildWorker.mjs', import.meta.url);

/**
 * Train, fill and write a FAISS index on a worker thread, so the event loop
 * (BullMQ lock renewals, other jobs) keeps running through minutes of k-means.
 */
export async function buildIndexFileInWorker(input: WorkerBuildInput): Promise<WorkerBuildResult> {
  loadFaissAddon(); // fail here, with the setup hint, when the addon is not built
  const { vectors } = input;
  if (vectors.length % input.dim !== 0) throw new Error(`vectors hold ${vectors.length} floats, not a multiple of dim ${input.dim}`);
  const shared = vectors.buffer instanceof SharedArrayBuffer;
  const worker = new Worker(WORKER_URL, {
    workerData: {
      addonPath: FAISS_ADDON_PATH,
      dim: input.dim,
      factory: input.factory,
      metric: input.metric,
      buffer: vectors.buffer,
      byteOffset: vectors.byteOffset,
      length: vectors.length,
      trainSize: input.trainSize,
      seed: input.seed ?? 1,
      params: input.params ?? {},
      file: input.file,
    },
    transferList: shared ? [] : [vectors.buffer as ArrayBuffer],
  });
  return new Promise<WorkerBuildResult>((resolve, reject) => {
    let settled = false;
    worker.once('message', (msg: { ok: true } & WorkerBuildResult | { ok: false; error: string }) => {
      settled = true;
      if (msg.ok) resolve(msg);
      else reject(new Error(`building ${input.factory} index: ${msg.error}`));
      // no terminate(): the worker frees the index and exits by itself; terminating it mid-teardown aborts the process (Napi::Error in a finalizer)
    });
    worker.once('error', (err) => {
      if (!settled) reject(new Error(`FAISS build worker failed: ${err.message}`, { cause: err }));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`FAISS build worker exited with code ${code} before finishing`));
      settled = true;
    });
  });
}
