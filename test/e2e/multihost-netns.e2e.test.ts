import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../src/artifacts/s3ObjectStore.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { createNetLab, netnsUnavailable, startOn, type NetLab } from '../support/netns.js';
import { generateHandlersRepo, indexKillingRemoteWorkers, nonLocalEntries } from '../support/remoteWorkersRun.js';
import { S3RVER_CREDENTIALS } from '../support/s3Server.js';
import { ROOT, startServeProcess, startWorkerProcess, type ServeProcess } from '../support/serveProcess.js';

/**
 * Three "hosts" on this machine, each a network namespace with its own address (see
 * support/netns.ts): A runs the API and the index role, B the gpu and sink roles with its own
 * empty DATA_DIR, C a Redis of its own and s3rver. Nothing is shared but the network: A and B
 * reach Redis and S3 only at C's address (a namespace's 127.0.0.1 is its own), and the test
 * reaches A's API and C's bucket through the bridge. Needs root and `ip netns`
 * (iproute2); elsewhere it is skipped, saying why.
 */
const unavailable = await netnsUnavailable();
if (unavailable) console.warn(`multi-host test skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)(`several hosts (network namespaces)${unavailable ? ` — skipped: ${unavailable}` : ''}`, () => {
  let lab: NetLab;
  const stops: (() => Promise<unknown>)[] = [];
  const dirs: string[] = [];
  let envA: Record<string, string>;
  let envB: Record<string, string>;
  let repo: string;
  let s3Endpoint: string;
  const bucket = 'codeintel-multihost';
  const token = 'multihost-test-token';

  beforeAll(async () => {
    lab = await createNetLab(['a', 'b', 'c']);
    const { a, c } = lab.hosts;
    const [dataA, dataB, s3Dir, repos] = await Promise.all(['codeintel-hostA-', 'codeintel-hostB-', 'codeintel-hostC-s3-', 'codeintel-repos-'].map(makeTmpDir));
    dirs.push(dataA, dataB, s3Dir, repos);
    const redis = await startOn(c, ['redis-server', '--bind', c.address, '--port', '6379', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], /Ready to accept connections/);
    stops.push(() => redis.stop());
    const s3 = await startOn(c, [process.execPath, path.join(ROOT, 'test/support/s3rverProcess.mjs'), c.address, s3Dir, bucket], /listening on [\d.]+:(\d+)/);
    stops.push(() => s3.stop());
    s3Endpoint = `http://${c.address}:${s3.match[1]}`;
    repo = path.join(repos, 'app');
    await generateHandlersRepo(repo, 240);
    const common = {
      REDIS_URL: `redis://${c.address}:6379`,
      REDIS_PREFIX: 'multihost',
      STORAGE_URL: `s3://${bucket}/deploy`,
      S3_ENDPOINT: s3Endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      AWS_REGION: 'us-east-1',
      ...S3RVER_CREDENTIALS,
      BATCH_SIZE: '8',
      LOG_LEVEL: 'info',
      WORKER_LOCK_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '1000',
    };
    envA = { ...common, DATA_DIR: dataA, HOST: a.address, PORT: '0', API_TOKENS: token, REPO_ROOTS: repos };
    envB = { ...common, DATA_DIR: dataB };
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await lab?.close();
    await Promise.all(dirs.map(removeDir));
  });

  it('indexes a repo from host A with host B encoding and writing, B killed mid-run and restarted: every chunk once, searchable from A', async () => {
    const { a, b } = lab.hosts;
    const api: ServeProcess = await startServeProcess(envA, 30_000, ['--roles', 'index'], a.launcher);
    stops.push(() => api.stop());
    expect(api.url).toMatch(new RegExp(`^http://${a.address.replaceAll('.', '\\.')}:\\d+$`));

    const objects = createS3ObjectStore(
      { bucket, prefix: 'deploy', endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true },
      new S3Client({
        region: 'us-east-1',
        endpoint: s3Endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: S3RVER_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: S3RVER_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    );
    const { workers } = await indexKillingRemoteWorkers({
      apiUrl: api.url,
      headers: { authorization: `Bearer ${token}` },
      repo,
      name: 'app',
      objects,
      startWorkers: () => Promise.all([startWorkerProcess('gpu', envB, 30_000, b.launcher), startWorkerProcess('sink', envB, 30_000, b.launcher)]),
    });
    for (const w of workers) stops.push(() => w.stop());
    expect(await nonLocalEntries(envB.DATA_DIR)).toEqual([]);
    expect(await nonLocalEntries(envA.DATA_DIR)).toEqual([]);
  });
});
