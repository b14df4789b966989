import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { generateHandlersRepo, indexKillingRemoteWorkers, nonLocalEntries } from '../support/remoteWorkersRun.js';
import { startS3, type TestS3 } from '../support/s3Server.js';
import { startServeProcess, startWorkerProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, postJson, testEnv, waitForIndexJob } from '../support/stack.js';

/**
 * STORAGE_URL=s3://… with no DATA_DIR shared between roles: the API and index role in one
 * process, the gpu and sink roles in two others with another, empty DATA_DIR, all talking
 * to one s3rver and one Redis over real HTTP and TCP. (The network-namespace version, with
 * hosts of their own addresses, is multihost-netns.e2e.test.ts.)
 */
describe('an index run with STORAGE_URL=s3://… and workers that share no DATA_DIR with the API', () => {
  let s3: TestS3;
  let hostA: string;
  let hostB: string;
  let hostQ: string;
  let prefix: string;
  let repo: string;
  const procs: ServeProcess[] = [];

  beforeAll(async () => {
    s3 = await startS3();
    hostB = await makeTmpDir('codeintel-hostB-');
    hostQ = await makeTmpDir('codeintel-hostQ-');
    repo = await makeTmpDir('codeintel-s3-repo-');
    await generateHandlersRepo(repo, 240);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop().catch(() => null)));
    if (prefix) await dropPrefix(prefix);
    await s3?.close();
    await Promise.all([hostA, hostB, hostQ, repo].map((d) => d && removeDir(d)));
  });

  it('indexes through the bucket, survives the remote workers being killed mid-run, every chunk once; a query server on its own DATA_DIR follows new versions', async () => {
    const bucket = await s3.bucket();
    const a = await testEnv({ BATCH_SIZE: '8', LOG_LEVEL: 'info', ...s3.env(bucket) });
    ({ prefix, dataDir: hostA } = a);
    const envB = { ...a.env, DATA_DIR: hostB };
    const api = await startServeProcess(a.env, 30_000, ['--roles', 'index']);
    procs.push(api);

    const { workers } = await indexKillingRemoteWorkers({
      apiUrl: api.url,
      repo,
      name: 'remote',
      objects: s3.objectStore(bucket),
      startWorkers: () => Promise.all([startWorkerProcess('gpu', envB), startWorkerProcess('sink', envB)]),
    });
    procs.push(...workers);

    // nothing committed or staged in either DATA_DIR
    expect(await nonLocalEntries(hostB)).toEqual([]);
    expect(await nonLocalEntries(hostA)).toEqual([]);

    // a query server on a third empty DATA_DIR serves from its cache, and follows a new version without a restart
    const query = await startServeProcess({ ...a.env, DATA_DIR: hostQ, CACHE_MAX_BYTES: String(1024 ** 2) }, 30_000, ['--roles', 'none']);
    procs.push(query);
    const before = await postJson(`${query.url}/v1/search`, { repo: 'remote', query: 'handler_123_2', k: 3 });
    expect(before.body.hits[0].path).toBe('pkg3/module_123.py');
    const ready = (await (await fetch(`${query.url}/readyz`)).json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(ready.checks.storage).toMatchObject({ ok: true, detail: `s3://${bucket}/codeintel` });
    await writeTree(repo, { 'late/added.py': 'def zebra_quokka_handler(value):\n    return value * 7\n' });
    const again = await postJson(`${api.url}/v1/index-jobs`, { repo, name: 'remote' });
    const second = await waitForIndexJob(api.url, again.body.jobId, 120_000);
    expect(second.state, JSON.stringify(second.error)).toBe('completed');
    expect(second.result!.added).toBe(1);
    const after = await postJson(`${query.url}/v1/search`, { repo: 'remote', query: 'zebra_quokka_handler', k: 3 });
    expect(after.body.hits[0].path).toBe('late/added.py');
    expect(await nonLocalEntries(hostQ)).toEqual([]);
  });
});
