import { promises as fs } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { ObjectStore } from '../../src/artifacts/objectStore.js';
import type { IndexJobView } from '../../src/api/routes/indexJobs.js';
import { createDuckDb } from '../../src/catalog/duckdb.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import type { ServeProcess } from './serveProcess.js';
import { postJson, waitForIndexJob } from './stack.js';

/** A repo big enough that a run with BATCH_SIZE=8 is still going when its workers are killed. */
export async function generateHandlersRepo(root: string, files: number) {
  const tree: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    const fns = Array.from({ length: 4 }, (_, j) => `def handler_${i}_${j}(value):\n    """Handle case ${i}.${j}."""\n    return value * ${i + j} + ${j}\n`);
    tree[`pkg${i % 20}/module_${i}.py`] = fns.join('\n\n');
  }
  await writeTree(root, tree);
}

export interface RemoteWorkersRun {
  apiUrl: string;
  headers?: Record<string, string>;
  repo: string;
  name: string;
  /** start the gpu and sink workers of the remote host */
  startWorkers(): Promise<ServeProcess[]>;
  /** the bucket, as the test sees it */
  objects: ObjectStore;
}

/**
 * Index `repo` through the API, kill the remote host's workers once some batches are written,
 * start them again, and check the result: the run completes, search finds a known function,
 * and every chunk is in the bucket's Parquet parts and the FAISS id map exactly once.
 */
export async function indexKillingRemoteWorkers(run: RemoteWorkersRun): Promise<{ chunks: number; workers: ServeProcess[] }> {
  const headers = run.headers ?? {};
  let workers = await run.startWorkers();
  const all = [...workers];
  const submit = await postJson(`${run.apiUrl}/v1/index-jobs`, { repo: run.repo, name: run.name }, headers);
  expect(submit.status, JSON.stringify(submit.body)).toBe(202);
  const jobId = submit.body.jobId;
  for (;;) {
    const view = (await (await fetch(`${run.apiUrl}/v1/index-jobs/${jobId}`, { headers })).json()) as IndexJobView;
    const c = view.progress.chunks;
    if (c.total > 0 && c.written > 0 && c.written < c.total) break;
    if (view.state === 'completed') throw new Error('the run finished before the workers could be killed; make the repo bigger');
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(workers.map((w) => w.kill()));
  workers = await run.startWorkers();
  all.push(...workers);

  const done = await waitForIndexJob(run.apiUrl, jobId, 180_000, headers);
  expect(done.state, JSON.stringify(done.error)).toBe('completed');
  const chunks = done.result!.chunks;

  const search = await postJson(`${run.apiUrl}/v1/search`, { repo: run.name, query: 'handler_123_2', k: 3 }, headers);
  expect(search.status).toBe(200);
  expect(search.body.hits[0].path).toBe('pkg3/module_123.py');

  const check = await makeTmpDir('codeintel-s3-check-');
  try {
    const partKeys = (await run.objects.list(`repos/${run.name}/parts/`)).map((o) => o.key);
    expect(partKeys.length).toBeGreaterThan(1);
    for (const k of partKeys) await run.objects.download(k, path.join(check, path.basename(k)));
    const db = await createDuckDb();
    try {
      const row = await db.withConnection(async (c) =>
        (await c.runAndReadAll(`SELECT count(*)::INTEGER AS total, count(DISTINCT chunk_id)::INTEGER AS distinct_ids FROM read_parquet('${check}/*.parquet')`)).getRowObjects()[0],
      );
      expect(row).toEqual({ total: chunks, distinct_ids: chunks });
    } finally {
      await db.close();
    }
    const manifest = JSON.parse((await run.objects.get(`repos/${run.name}/manifest-v${done.result!.manifestVersion}.json`))!.toString()) as Manifest;
    const ids = JSON.parse((await run.objects.get(`repos/${run.name}/${manifest.vectors.primary!.idsFile}`))!.toString()) as string[];
    expect([ids.length, new Set(ids).size]).toEqual([chunks, chunks]);
  } finally {
    await removeDir(check);
  }
  // the run's staged artifacts left the bucket when it finished
  expect(await run.objects.list('artifacts/')).toEqual([]);
  return { chunks, workers: all };
}

/** The entries of a DATA_DIR besides the host-local ones (the cache, search catalogs built from it, clones, traces). */
export async function nonLocalEntries(dataDir: string): Promise<string[]> {
  return (await fs.readdir(dataDir).catch(() => [])).filter((n) => !['cache', 'catalogs', 'clones', 'traces'].includes(n));
}
