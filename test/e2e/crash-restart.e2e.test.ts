import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexJobView } from '../../src/api/routes/indexJobs.js';
import { createDuckDb } from '../../src/catalog/duckdb.js';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, postJson, testEnv, waitForIndexJob } from '../support/stack.js';

/** A repo big enough that a run with tiny batches is still going when we pull the plug. */
async function generateRepo(root: string, files: number) {
  const tree: Record<string, string> = {};
  for (let i = 0; i < files; i++) {
    const fns = Array.from({ length: 4 }, (_, j) => `def handler_${i}_${j}(value):\n    """Handle case ${i}.${j}."""\n    return value * ${i + j} + ${j}\n`);
    tree[`pkg${i % 20}/module_${i}.py`] = fns.join('\n\n');
  }
  await writeTree(root, tree);
}

describe('killing the process mid-run and starting it again', () => {
  let env: Record<string, string>;
  let dataDir: string;
  let prefix: string;
  let repo: string;
  let serve: ServeProcess | undefined;
  beforeAll(async () => {
    ({ env, dataDir, prefix } = await testEnv({ BATCH_SIZE: '8', LOG_LEVEL: 'info' }));
    repo = await makeTmpDir('codeintel-crash-repo-');
    await generateRepo(repo, 400);
  });
  afterAll(async () => {
    await serve?.stop();
    await dropPrefix(prefix);
    await removeDir(dataDir);
    await removeDir(repo);
  });

  it('finishes the run with no chunk written twice to Parquet or FAISS', async () => {
    serve = await startServeProcess(env);
    const submit = await postJson(`${serve.url}/v1/index-jobs`, { repo, name: 'crashy' });
    expect(submit.status).toBe(202);
    const jobId = submit.body.jobId;

    // wait until some batches are written but not all, then SIGKILL: no graceful anything
    for (;;) {
      const progress = (await (await fetch(`${serve.url}/v1/index-jobs/${jobId}`)).json()) as IndexJobView;
      const c = progress.progress.chunks;
      if (c.total > 0 && c.written > 0 && c.written < c.total) break;
      if (progress.state === 'completed') throw new Error('the run finished before it could be interrupted; make the repo bigger');
      await new Promise((r) => setTimeout(r, 20));
    }
    await serve.kill();
    const partsDir = path.join(dataDir, 'repos', 'crashy', 'parts');
    const partsAtCrash = (await fs.readdir(partsDir)).filter((f) => f.endsWith('.parquet')).length;
    expect(partsAtCrash).toBeGreaterThan(0);
    expect(await fs.readFile(path.join(dataDir, 'repos', 'crashy', 'CURRENT'), 'utf8').catch(() => null)).toBeNull();

    // a new process picks the stalled jobs up and finishes the run
    serve = await startServeProcess(env);
    const done = await waitForIndexJob(serve.url, jobId, 120_000);
    expect(done.state, JSON.stringify(done.error)).toBe('completed');
    const chunks = done.result!.chunks;
    expect(chunks).toBeGreaterThanOrEqual(400);

    // Parquet: every chunk exactly once across every part file on disk
    const db = await createDuckDb();
    try {
      const rows = await db.withConnection(async (c) => {
        const r = await c.runAndReadAll(
          `SELECT count(*)::INTEGER AS total, count(DISTINCT chunk_id)::INTEGER AS distinct_ids FROM read_parquet('${partsDir}/*.parquet')`,
        );
        return r.getRowObjects()[0] as { total: number; distinct_ids: number };
      });
      expect(rows).toEqual({ total: chunks, distinct_ids: chunks });
    } finally {
      await db.close();
    }
    const leftovers = (await fs.readdir(partsDir)).filter((f) => !f.endsWith('.parquet'));
    expect(leftovers).toEqual([]);

    // FAISS: one vector per chunk
    const manifest = JSON.parse(await fs.readFile(path.join(dataDir, 'repos', 'crashy', `manifest-v${done.result!.manifestVersion}.json`), 'utf8'));
    const ids: string[] = JSON.parse(await fs.readFile(path.join(dataDir, 'repos', 'crashy', manifest.vectors.primary.idsFile), 'utf8'));
    expect(ids.length).toBe(chunks);
    expect(new Set(ids).size).toBe(chunks);

    const search = await postJson(`${serve.url}/v1/search`, { repo: 'crashy', query: 'handler_123_2', k: 3 });
    expect(search.body.hits[0].path).toBe('pkg3/module_123.py');
  });
});
