/**
 * bench:storage — the same index run and searches with STORAGE_URL unset (the directory under
 * DATA_DIR) and with STORAGE_URL=s3://… on s3rver (in this process, a free port), API + every
 * worker role in process (test/support/stack.ts). Shows what the object store costs a run:
 * staged batches, vectors, parts and FAISS files over S3 HTTP, the pointer in Redis.
 *
 * Settings (env): BENCH_FILES (default 1500 synthetic Python files), BENCH_QUERIES (default 40).
 * Last line: {"files", "directory": {index_s, chunks, search_p50_ms, search_p95_ms}, "s3": {...}, "s3_index_ratio"}
 */
import { makeTmpDir, removeDir } from '../test/fixtures/repoHelpers.js';
import { generateHandlersRepo } from '../test/support/remoteWorkersRun.js';
import { S3RVER_CREDENTIALS, startS3 } from '../test/support/s3Server.js';
import { postJson, startStack, waitForIndexJob } from '../test/support/stack.js';

const FILES = Number(process.env.BENCH_FILES ?? 1500);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 40);
const log = (msg: string) => process.stderr.write(`[bench:storage] ${msg}\n`);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] * 10) / 10;
};

async function measure(repo: string, env: Record<string, string>) {
  const stack = await startStack({ env: { BATCH_SIZE: '64', ...env } });
  try {
    const t0 = performance.now();
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo, name: 'bench' });
    if (submit.status !== 202) throw new Error(`submit answered ${submit.status}: ${JSON.stringify(submit.body)}`);
    const done = await waitForIndexJob(stack.url, submit.body.jobId, 30 * 60_000);
    if (done.state !== 'completed') throw new Error(`run failed: ${JSON.stringify(done.error)}`);
    const indexS = (performance.now() - t0) / 1000;
    // searches measured in steady state: right after a run the process is still settling (heap of
    // the run's uploads, post-commit work), which would be counted against the backend
    await new Promise((r) => setTimeout(r, 2000));
    const times: number[] = [];
    for (let i = 0; i < QUERIES + 1; i++) {
      const q = performance.now();
      const res = await postJson(`${stack.url}/v1/search`, { repo: 'bench', query: `handler_${(i * 37) % FILES}_${i % 4}`, k: 10 });
      if (res.status !== 200) throw new Error(`search answered ${res.status}`);
      if (i > 0) times.push(performance.now() - q); // the first loads the version
    }
    return { index_s: Math.round(indexS * 100) / 100, chunks: done.result!.chunks, search_p50_ms: pct(times, 50), search_p95_ms: pct(times, 95) };
  } finally {
    await stack.close();
  }
}

// the AWS SDK reads credentials from the process environment (its default chain), not from the config
Object.assign(process.env, S3RVER_CREDENTIALS);
const repo = await makeTmpDir('codeintel-bench-storage-');
const s3 = await startS3();
try {
  await generateHandlersRepo(repo, FILES);
  log(`${FILES} files; directory backend…`);
  const directory = await measure(repo, {});
  log(`directory: ${JSON.stringify(directory)}; s3rver backend…`);
  const s3Result = await measure(repo, s3.env(await s3.bucket()));
  log(`s3: ${JSON.stringify(s3Result)}`);
  console.log(JSON.stringify({ files: FILES, directory, s3: s3Result, s3_index_ratio: Math.round((s3Result.index_s / directory.index_s) * 100) / 100 }));
} finally {
  await s3.close();
  await removeDir(repo);
}
