import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexJobView } from '../../src/api/routes/indexJobs.js';
import { createDuckDb } from '../../src/catalog/duckdb.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { startS3, type TestS3 } from '../support/s3Server.js';
import { startServeProcess, startWorkerProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, postJson, testEnv, waitForIndexJob } from '../support/stack.js';

async function generateRepo(root: string, files: number) {
  const tree: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    const fns = Array.from({ length: 4 }, (_, j) => `def handler_${i}_${j}(value):\n    """Handle case ${i}.${j}."""\n    return value * ${i + j} + ${j}\n`);
    tree[`pkg${i % 20}/module_${i}.py`] = fns.join('\n\n');
  }
  await writeTree(root, tree);
}

/**
 * STORAGE_URL=s3://… with no shared filesystem between roles: the API and index role in one
 * process with its own DATA_DIR, the gpu and sink roles in two others with another empty
 * DATA_DIR, all talking to one s3rver and one Redis over real HTTP and TCP.
 */
describe('an index run with STORAGE_URL=s3://… and workers that share no DATA_DIR with the API', () => {
  let s3: TestS3;
  let hostA: string;
  let hostB: string;
  let prefix: string;
  let repo: string;
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  let bucket: string;
  const procs: ServeProcess[] = [];

  beforeAll(async () => {
    s3 = await startS3();
    bucket = await s3.bucket();
    const a = await testEnv({ BATCH_SIZE: '8', LOG_LEVEL: 'info', ...s3.env(bucket) });
    ({ prefix } = a);
    hostA = a.dataDir;
    envA = a.env;
    hostB = await makeTmpDir('codeintel-hostB-');
    envB = { ...envA, DATA_DIR: hostB };
    repo = await makeTmpDir('codeintel-s3-repo-');
    await generateRepo(repo, 240);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop().catch(() => null)));
    await dropPrefix(prefix);
    await s3?.close();
    await Promise.all([hostA, hostB, repo].map((d) => d && removeDir(d)));
  });

  it('indexes through the bucket, survives the remote workers being killed mid-run, and search finds every chunk once', async () => {
    const api = await startServeProcess(envA, 30_000, ['--roles', 'index']);
    procs.push(api);
    let gpu = await startWorkerProcess('gpu', envB);
    let sink = await startWorkerProcess('sink', envB);
    procs.push(gpu, sink);

    const submit = await postJson(`${api.url}/v1/index-jobs`, { repo, name: 'remote' });
    expect(submit.status).toBe(202);
    const jobId = submit.body.jobId;
    // kill host B's workers once some batches are written, then start them again
    for (;;) {
      const view = (await (await fetch(`${api.url}/v1/index-jobs/${jobId}`)).json()) as IndexJobView;
      const c = view.progress.chunks;
      if (c.total > 0 && c.written > 0 && c.written < c.total) break;
      if (view.state === 'completed') throw new Error('the run finished before the workers could be killed; make the repo bigger');
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all([gpu.kill(), sink.kill()]);
    gpu = await startWorkerProcess('gpu', envB);
    sink = await startWorkerProcess('sink', envB);
    procs.push(gpu, sink);

    const done = await waitForIndexJob(api.url, jobId, 180_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    const chunks = done.result!.chunks;
    expect(chunks).toBeGreaterThanOrEqual(240);

    const search = await postJson(`${api.url}/v1/search`, { repo: 'remote', query: 'handler_123_2', k: 3 });
    expect(search.status).toBe(200);
    expect(search.body.hits[0].path).toBe('pkg3/module_123.py');

    // every chunk exactly once: in the Parquet parts of the bucket and in the FAISS id map
    const objects = s3.objectStore(bucket);
    const check = await makeTmpDir('codeintel-s3-check-');
    try {
      const partKeys = (await objects.list('repos/remote/parts/')).map((o) => o.key);
      expect(partKeys.length).toBeGreaterThan(1);
      for (const k of partKeys) await objects.download(k, path.join(check, path.basename(k)));
      const db = await createDuckDb();
      try {
        const row = await db.withConnection(async (c) =>
          (await c.runAndReadAll(`SELECT count(*)::INTEGER AS total, count(DISTINCT chunk_id)::INTEGER AS distinct_ids FROM read_parquet('${check}/*.parquet')`)).getRowObjects()[0],
        );
        expect(row).toEqual({ total: chunks, distinct_ids: chunks });
      } finally {
        await db.close();
      }
      const manifest = JSON.parse((await objects.get(`repos/remote/manifest-v${done.result!.manifestVersion}.json`))!.toString()) as Manifest;
      const ids = JSON.parse((await objects.get(`repos/remote/${manifest.vectors.primary!.idsFile}`))!.toString()) as string[];
      expect([ids.length, new Set(ids).size]).toEqual([chunks, chunks]);
    } finally {
      await removeDir(check);
    }

    // nothing committed or staged lives in either DATA_DIR: only caches (and A's clones dir)
    expect((await fs.readdir(hostB)).filter((n) => n !== 'cache')).toEqual([]);
    expect((await fs.readdir(hostA)).filter((n) => !['cache', 'clones', 'traces'].includes(n))).toEqual([]);
    // the run's staged artifacts were removed from the bucket when it finished
    expect(await objects.list('artifacts/')).toEqual([]);
  });
});
