import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { generateHandlersRepo, indexKillingRemoteWorkers, nonLocalEntries } from '../support/remoteWorkersRun.js';
import { startS3, type TestS3 } from '../support/s3Server.js';
import { startServeProcess, startWorkerProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, testEnv } from '../support/stack.js';

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
  let prefix: string;
  let repo: string;
  const procs: ServeProcess[] = [];

  beforeAll(async () => {
    s3 = await startS3();
    hostB = await makeTmpDir('codeintel-hostB-');
    repo = await makeTmpDir('codeintel-s3-repo-');
    await generateHandlersRepo(repo, 240);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop().catch(() => null)));
    if (prefix) await dropPrefix(prefix);
    await s3?.close();
    await Promise.all([hostA, hostB, repo].map((d) => d && removeDir(d)));
  });

  it('indexes through the bucket, survives the remote workers being killed mid-run, and search finds every chunk once', async () => {
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
  });
});
