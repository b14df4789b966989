// Builds one FAISS index file off the main thread. Training an IVF index or
// adding a million vectors takes tens of seconds of native work; on the main
// thread that would stop BullMQ from renewing the job's lock. Plain JS (not
// TS) so it runs the same under node, tsx and vitest: it only needs the addon.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { rng } from './rng.mjs';

const require = createRequire(import.meta.url);

/** A uniform random sample of `want` rows (partial Fisher-Yates over row numbers). */
function sampleRows(vectors, n, dim, want, seed) {
  if (want >= n) return vectors;
  const next = rng(seed);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const out = new Float32Array(want * dim);
  for (let i = 0; i < want; i++) {
    const j = i + Math.floor(next() * (n - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
    out.set(vectors.subarray(order[i] * dim, order[i] * dim + dim), i * dim);
  }
  return out;
}

const { addonPath, dim, factory, metric, buffer, byteOffset, length, trainSize, seed, params, file } = workerData;
const started = performance.now();
const { FaissIndex } = require(addonPath);
const vectors = new Float32Array(buffer, byteOffset, length);
const n = length / dim;
const index = FaissIndex.create(dim, factory, metric);
try {
  let trainedOn = 0;
  let trainMs = 0;
  if (!index.isTrained) {
    const t0 = performance.now();
    const sample = sampleRows(vectors, n, dim, Math.min(n, trainSize ?? n), seed ?? 1);
    index.train(sample);
    trainedOn = sample.length / dim;
    trainMs = performance.now() - t0;
  }
  for (const [k, v] of Object.entries(params ?? {})) index.setParam(k, v);
  const t1 = performance.now();
  // slices keep faiss's temporary buffers (e.g. list assignments) small
  const step = 65536 * dim;
  for (let off = 0; off < vectors.length; off += step) index.add(vectors.subarray(off, Math.min(vectors.length, off + step)));
  const addMs = performance.now() - t1;
  index.write(file);
  parentPort.postMessage({ ok: true, ntotal: index.ntotal, trainedOn, trainMs, addMs, ms: performance.now() - started });
} catch (err) {
  parentPort.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
} finally {
  index.free();
}
