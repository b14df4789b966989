import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileAtomic } from '../../src/artifacts/atomicWrite.js';
import { FencedOutError } from '../../src/errors/fencedOutError.js';
import { LeaseLostError } from '../../src/errors/leaseLostError.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { createRepoLock, repoLockKey } from '../../src/manifest/repoLock.js';
import { DirectoryManifestStore, type ManifestStore } from '../../src/manifest/store.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

/** Issue 13, hole 7: a writer that lost its lease cannot commit; commits are durable. */
const prefix = `citest-fence-${randomBytes(4).toString('hex')}`;
const redis = new Redis(REDIS_URL);
afterAll(async () => {
  await dropPrefix(prefix);
  redis.disconnect();
});

let dataDir: string;
let store: ManifestStore;
beforeEach(async () => {
  dataDir = await makeTmpDir('codeintel-fence-');
  store = new DirectoryManifestStore(dataDir);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await removeDir(dataDir);
});

const manifest = (repo: string, version: number, runId: string) => ({ repo, version, runId }) as unknown as Manifest;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fenced manifest commits', () => {
  it('a writer whose lease was taken over is refused at commit, after its successor committed', async () => {
    const lock = createRepoLock({ redis, prefix, ttlMs: 10_000, pollMs: 10 });
    let staleFence = 0;
    let resumeStale!: () => void;
    const stale = lock.withLock('r1', async (lease) => {
      staleFence = lease.fence;
      await new Promise<void>((r) => (resumeStale = r));
      // its in-memory flag still says held: renewal has not run yet
      expect(lease.held).toBe(true);
      await store.commit(manifest('r1', 2, 'stale'), { fence: lease.fence });
    });
    await sleep(30);
    // the stale writer's lease expires (a long pause); a new writer takes it and commits
    await redis.del(repoLockKey(prefix, 'r1'));
    await lock.withLock('r1', async (lease) => {
      expect(lease.fence).toBeGreaterThan(staleFence);
      await store.commit(manifest('r1', 1, 'fresh'), { fence: lease.fence });
    });
    resumeStale();
    await expect(stale).rejects.toBeInstanceOf(FencedOutError);
    expect(await store.currentVersion('r1')).toBe(1);
    expect((await store.current('r1'))?.runId).toBe('fresh');
  });

  it('confirm() asks Redis, so a writer learns it lost the lease before it commits', async () => {
    const lock = createRepoLock({ redis, prefix, ttlMs: 10_000, pollMs: 10 });
    await expect(
      lock.withLock('r2', async (lease) => {
        await redis.set(repoLockKey(prefix, 'r2'), 'someone-else');
        await lease.confirm();
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('a lease whose renewals keep failing counts as lost once a lease time has passed', async () => {
    const flaky = new Redis(REDIS_URL);
    try {
      const lock = createRepoLock({ redis: flaky, prefix, ttlMs: 150, pollMs: 10 });
      await lock.withLock('r3', async (lease) => {
        // Redis unreachable from here on: every renewal fails
        const evalSpy = vi.spyOn(flaky, 'eval').mockRejectedValue(new Error('connection lost'));
        await sleep(250);
        expect(lease.held).toBe(false);
        expect(() => lease.assertHeld()).toThrow(LeaseLostError);
        evalSpy.mockRestore();
      });
    } finally {
      flaky.disconnect();
    }
  });

  it('two writers can never both commit the same version', async () => {
    await store.commit(manifest('r4', 1, 'first'));
    await expect(store.commit(manifest('r4', 1, 'second'))).rejects.toBeInstanceOf(FencedOutError);
    expect((await store.current('r4'))?.runId).toBe('first');
  });
});

describe('durable renames', () => {
  it('fsyncs the directory after renaming a durable file into place', async () => {
    const file = path.join(dataDir, 'sub', 'CURRENT');
    const opened: string[] = [];
    const realOpen = fs.open.bind(fs);
    vi.spyOn(fs, 'open').mockImplementation(async (p, ...rest) => {
      opened.push(String(p));
      return realOpen(p, ...(rest as [string]));
    });
    await writeFileAtomic(file, '1\n');
    expect(opened.at(-1)).toBe(path.dirname(file));
    expect(await fs.readFile(file, 'utf8')).toBe('1\n');
  });
});
