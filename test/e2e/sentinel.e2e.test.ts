import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { startSentinelGroup, type SentinelGroup } from '../support/redisSentinel.js';
import { runCli, startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { postJson, testEnv } from '../support/stack.js';

describe('codeintel serve on a Redis Sentinel group', () => {
  let group: SentinelGroup;
  let redisDir: string;
  let serve: ServeProcess;
  let env: Record<string, string>;
  let dataDir: string;

  beforeAll(async () => {
    redisDir = await mkdtemp(join(tmpdir(), 'codeintel-sentinel-e2e-'));
    group = await startSentinelGroup(redisDir);
    // nothing listens at REDIS_URL's address: every connection must come through the Sentinel
    ({ env, dataDir } = await testEnv({ REDIS_URL: 'redis://127.0.0.1:1', REDIS_SENTINELS: `127.0.0.1:${group.sentinelPort}`, REDIS_SENTINEL_MASTER: group.name }));
    serve = await startServeProcess(env);
    env.CODEINTEL_URL = serve.url;
  }, 90_000);

  afterAll(async () => {
    await serve?.stop();
    await group?.stop();
    await removeDir(dataDir);
    await rm(redisDir, { recursive: true, force: true });
  });

  it('reports the Sentinel group in readiness', async () => {
    const res = await fetch(`${serve.url}/readyz`);
    const body = (await res.json()) as { checks: { redis: { ok: boolean; detail: string } } };
    expect(body.checks.redis).toMatchObject({ ok: true, detail: `sentinel primary "${group.name}" via 127.0.0.1:${group.sentinelPort}` });
  });

  it('indexes and searches, then goes on on the promoted replica after a failover', async () => {
    const first = await runCli(['index', SAMPLE_REPO, '--name', 'sample', '--wait'], env);
    expect(first.code, first.stderr).toBe(0);
    const query = { repo: 'sample', query: 'compute_interest annual_rate periods_per_year', k: 3 };
    expect((await postJson(`${serve.url}/v1/search`, query)).body.hits[0].path).toBe('bank/account.py');

    await group.failover();
    // a request that meets the old primary closing under it may fail (the API answers 503, retryable): try again
    let again;
    for (let attempt = 0; attempt < 5; attempt++) {
      again = await runCli(['index', SAMPLE_REPO, '--name', 'sample', '--full', '--wait'], env);
      if (again.code === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(again!.code, again!.stderr).toBe(0);
    expect(again!.stdout).toMatch(/indexed "sample" v2/);
    expect((await postJson(`${serve.url}/v1/search`, query)).body.hits[0].path).toBe('bank/account.py');
  }, 120_000);
});
