/**
 * bench:faiss — recall@10 against exact search and batched queries/s for
 * each primary index type we could offer, at 100k and 1M 384-d vectors.
 *
 * Data: a clustered Gaussian mixture on the unit sphere (bench/syntheticVectors.ts),
 * queries drawn near the data. Ground truth: IndexFlatIP over the same vectors.
 * Every search is one batched call over all queries, as FAISS is meant to be used.
 *
 * Settings (env): BENCH_FAISS_SIZES (default "100000,1000000"),
 * BENCH_FAISS_QUERIES (default 1000), BENCH_FAISS_HNSW_MAX (largest n at which
 * HNSW is built, default 100000: its build is single-digit minutes per million
 * vectors on two cores), BENCH_FAISS_TYPES (comma list, default "flat,ivf"; add sq8, pq, hnsw
 * to measure the types we do not offer), BENCH_FAISS_EXTRA (";"-separated factory strings).
 *
 * Last line of stdout: {"default_index", "recall_at_10", "qps", "exact_qps", "table"}
 * where the top-level figures are those of the default policy at the largest size.
 */
import { loadConfig } from '../src/config/index.js';
import { FaissIndex, type SearchResult } from '../src/vector/faissNative.js';
import { ivfListCount, primaryIndexPolicy, IVF_TRAIN_POINTS_PER_LIST } from '../src/vector/policy.js';
import { createMixture, DEFAULT_MIXTURE } from './syntheticVectors.js';

const DIM = 384;
const K = 10;
const env = process.env;
const SIZES = (env.BENCH_FAISS_SIZES ?? '100000,1000000').split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
const NQ = Number(env.BENCH_FAISS_QUERIES ?? 1000);
const HNSW_MAX = Number(env.BENCH_FAISS_HNSW_MAX ?? 100_000);
const TYPES = new Set((env.BENCH_FAISS_TYPES ?? 'flat,ivf').split(',').map((s) => s.trim()));
/** extra factory strings to measure at every size, e.g. "IVF4096_HNSW32,Flat" */
const EXTRA = (env.BENCH_FAISS_EXTRA ?? '').split(';').map((s) => s.trim()).filter(Boolean);
/** single-query searches timed per configuration (the API searches one query at a time) */
const SINGLE = Number(env.BENCH_FAISS_SINGLE ?? 200);

const log = (msg: string) => process.stderr.write(`[bench:faiss] ${msg}\n`);
const secs = (ms: number) => Math.round(ms / 10) / 100;

interface Row {
  n: number;
  index: string;
  param?: string;
  value?: number;
  recall_at_10: number;
  qps: number;
  /** mean latency of one query searched alone, as /v1/search does */
  single_ms: number;
  train_s: number;
  add_s: number;
  trained_on: number;
  bytes_per_vector: number;
  default?: boolean;
}

interface Candidate {
  factory: string;
  trainSize: number;
  sweep: { param: string; values: number[] };
  bytesPerVector: number;
}

function recallAt(truth: SearchResult, got: SearchResult, nq: number): number {
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const want = new Set(truth.labels.subarray(q * K, (q + 1) * K));
    for (const label of got.labels.subarray(q * K, (q + 1) * K)) if (want.has(label)) hits++;
  }
  return hits / (nq * K);
}

/** Every `step`-th row: a spread-out training sample without another copy of the data's order. */
function strideSample(x: Float32Array, n: number, want: number): Float32Array {
  if (want >= n) return x;
  const out = new Float32Array(want * DIM);
  const step = n / want;
  for (let i = 0; i < want; i++) {
    const r = Math.floor(i * step);
    out.set(x.subarray(r * DIM, (r + 1) * DIM), i * DIM);
  }
  return out;
}

function timeSearch(index: FaissIndex, queries: Float32Array): { result: SearchResult; qps: number; singleMs: number } {
  const t = performance.now();
  const result = index.search(queries, K);
  const s = (performance.now() - t) / 1000;
  const n = Math.min(SINGLE, NQ);
  const t1 = performance.now();
  for (let q = 0; q < n; q++) index.search(queries.subarray(q * DIM, (q + 1) * DIM), K);
  const singleMs = n ? Math.round(((performance.now() - t1) / n) * 1000) / 1000 : 0;
  return { result, qps: Math.round(NQ / s), singleMs };
}

const probes0 = () => ({ param: 'nprobe', values: [4, 8, 16, 32, 64] });

function candidates(n: number): Candidate[] {
  const out: Candidate[] = [];
  const lists = new Set([ivfListCount(n)]);
  // sqrt(n) lists as the comparison point: cheaper to train, but each probe scans more
  lists.add(Math.max(64, 2 ** Math.round(Math.log2(Math.sqrt(n)))));
  const probes = probes0();
  for (const nlist of [...lists].sort((a, b) => a - b)) {
    const trainSize = Math.min(n, nlist * IVF_TRAIN_POINTS_PER_LIST);
    if (TYPES.has('ivf')) out.push({ factory: `IVF${nlist},Flat`, trainSize, sweep: probes, bytesPerVector: DIM * 4 + 8 });
    if (nlist !== ivfListCount(n)) continue; // quantised variants only at the policy's list count
    if (TYPES.has('sq8')) out.push({ factory: `IVF${nlist},SQ8`, trainSize, sweep: probes, bytesPerVector: DIM + 8 });
    if (TYPES.has('pq')) out.push({ factory: `IVF${nlist},PQ48`, trainSize, sweep: probes, bytesPerVector: 48 + 8 });
  }
  for (const factory of EXTRA) {
    const m = /^IVF(\d+)/.exec(factory);
    out.push({
      factory,
      trainSize: m ? Math.min(n, Number(m[1]) * IVF_TRAIN_POINTS_PER_LIST) : n,
      sweep: m ? probes0() : { param: 'efSearch', values: [16, 32, 64, 128] },
      bytesPerVector: DIM * 4 + 8,
    });
  }
  if (TYPES.has('hnsw') && n <= HNSW_MAX) {
    out.push({ factory: 'HNSW32', trainSize: 0, sweep: { param: 'efSearch', values: [16, 32, 64, 128] }, bytesPerVector: DIM * 4 + 32 * 2 * 4 });
  }
  return out;
}

async function main() {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent' });
  const policy = primaryIndexPolicy(config.faiss);
  const mixture = createMixture({ dim: DIM, ...DEFAULT_MIXTURE });
  const queries = mixture.queries(NQ, 7);
  const table: Row[] = [];
  const started = performance.now();
  let top: { default_index: string; recall_at_10: number; qps: number; exact_qps: number } | null = null;

  for (const n of SIZES) {
    let t = performance.now();
    const data = mixture.points(n, 1);
    log(`n=${n}: generated ${n}x${DIM} in ${secs(performance.now() - t)} s`);

    const flat = FaissIndex.create(DIM, 'Flat', 'ip');
    t = performance.now();
    flat.add(data);
    const flatAdd = secs(performance.now() - t);
    const exact = timeSearch(flat, queries);
    flat.free();
    const truth = exact.result;
    log(`n=${n}: exact search ${exact.qps} q/s, ${exact.singleMs} ms/query alone`);
    const choice = policy.choose(n, DIM);
    const defaultParam = Object.entries(choice.params ?? {})[0];
    table.push({
      n,
      index: 'Flat',
      recall_at_10: 1,
      qps: exact.qps,
      single_ms: exact.singleMs,
      train_s: 0,
      add_s: flatAdd,
      trained_on: 0,
      bytes_per_vector: DIM * 4,
      ...(choice.factory === 'Flat' ? { default: true } : {}),
    });
    if (choice.factory === 'Flat') top = { default_index: 'Flat', recall_at_10: 1, qps: exact.qps, exact_qps: exact.qps };

    const list = candidates(n);
    if (choice.factory !== 'Flat' && !list.some((c) => c.factory === choice.factory)) {
      list.unshift({
        factory: choice.factory,
        trainSize: choice.trainSize ?? n,
        sweep: { param: defaultParam?.[0] ?? 'nprobe', values: [defaultParam?.[1] ?? 16] },
        bytesPerVector: DIM * 4 + 8,
      });
    }
    for (const c of list) {
      const index = FaissIndex.create(DIM, c.factory, 'ip');
      try {
        t = performance.now();
        let trainedOn = 0;
        if (!index.isTrained) {
          const sample = strideSample(data, n, c.trainSize);
          index.train(sample);
          trainedOn = sample.length / DIM;
        }
        const trainS = secs(performance.now() - t);
        t = performance.now();
        for (let off = 0; off < data.length; off += 65_536 * DIM) index.add(data.subarray(off, Math.min(data.length, off + 65_536 * DIM)));
        const addS = secs(performance.now() - t);
        log(`n=${n}: ${c.factory} trained on ${trainedOn} in ${trainS} s, added in ${addS} s`);
        const values = [...new Set([...c.sweep.values, ...(choice.factory === c.factory && defaultParam ? [defaultParam[1]] : [])])].sort((a, b) => a - b);
        for (const value of values) {
          index.setParam(c.sweep.param, value);
          const { result, qps, singleMs } = timeSearch(index, queries);
          const isDefault = choice.factory === c.factory && (!defaultParam || (defaultParam[0] === c.sweep.param && defaultParam[1] === value));
          const row: Row = {
            n,
            index: c.factory,
            param: c.sweep.param,
            value,
            recall_at_10: Math.round(recallAt(truth, result, NQ) * 10_000) / 10_000,
            qps,
            single_ms: singleMs,
            train_s: trainS,
            add_s: addS,
            trained_on: trainedOn,
            bytes_per_vector: c.bytesPerVector,
            ...(isDefault ? { default: true } : {}),
          };
          table.push(row);
          log(`n=${n}: ${c.factory} ${c.sweep.param}=${value} recall@10 ${row.recall_at_10} ${qps} q/s, ${singleMs} ms/query alone${isDefault ? ' (default)' : ''}`);
          if (isDefault) top = { default_index: `${c.factory} ${c.sweep.param}=${value}`, recall_at_10: row.recall_at_10, qps, exact_qps: exact.qps };
        }
      } finally {
        index.free();
      }
    }
    if (!table.some((r) => r.n === n && r.default)) log(`n=${n}: the policy's choice ${choice.factory} was not measured`);
  }

  // human-readable table first, the JSON summary last
  console.log('n        index                param      recall@10   q/s     1q_ms    train_s  add_s  B/vec');
  for (const r of table) {
    console.log(
      `${String(r.n).padEnd(8)} ${r.index.padEnd(20)} ${(r.param ? `${r.param}=${r.value}` : '-').padEnd(10)} ${r.recall_at_10.toFixed(4).padEnd(11)} ${String(r.qps).padEnd(7)} ${String(r.single_ms).padEnd(8)} ${String(r.train_s).padEnd(8)} ${String(r.add_s).padEnd(6)} ${r.bytes_per_vector}${r.default ? '  <- default' : ''}`,
    );
  }
  log(`done in ${secs(performance.now() - started)} s`);
  console.log(JSON.stringify({ ...(top ?? { default_index: null, recall_at_10: null, qps: null, exact_qps: null }), table }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
