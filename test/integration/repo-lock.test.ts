import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRepoLock, repoLockKey } from '../../src/manifest/repoLock.js';
import { LeaseLostError } from '../../src/errors/leaseLostError.js';
import { LockTimeoutError } from '../../src/errors/lockTimeoutError.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

const prefix = `citest-lock-${randomBytes(4).toString('hex')}`;
const redis = new Redis(REDIS_URL);
afterAll(async () => {
  await dropPrefix(prefix);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the per-repo write lease (real Redis)', () => {
  it('lets one writer per repo in at a time, across lock instances (as across processes)', async () => {
    const a = createRepoLock({ redis, prefix, pollMs: 10 });
    const b = createRepoLock({ redis, prefix, pollMs: 10 });
    const events: string[] = [];
    const work = (lock: typeof a, name: string) =>
      lock.withLock('repo1', async () => {
        events.push(`${name} in`);
        await sleep(80);
        events.push(`${name} out`);
      });
    await Promise.all([work(a, 'a'), work(b, 'b'), work(a, 'c')]);
    // never two "in" without an "out" between them
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]).toMatch(/ in$/);
      expect(events[i + 1]).toBe(events[i].replace(' in', ' out'));
    }
    expect(await redis.exists(repoLockKey(prefix, 'repo1'))).toBe(0);
  });

  it('does not make other repos wait', async () => {
    const lock = createRepoLock({ redis, prefix, pollMs: 10 });
    let inner = false;
    await lock.withLock('repo2', async () => {
      await lock.withLock('repo3', async () => {
        inner = true;
      }, { waitMs: 200 });
    });
    expect(inner).toBe(true);
  });

  it('gives up after waitMs with an error that says what holds the repo', async () => {
    const lock = createRepoLock({ redis, prefix, pollMs: 10 });
    let release!: () => void;
    const held = lock.withLock('repo4', () => new Promise<void>((r) => (release = r)));
    await sleep(20);
    await expect(lock.withLock('repo4', async () => 'never', { waitMs: 150 })).rejects.toBeInstanceOf(LockTimeoutError);
    release();
    await held;
    expect(await lock.withLock('repo4', async () => 'now', { waitMs: 150 })).toBe('now');
  });

  it('renews a long holder, and a holder whose lease was taken over learns it before committing', async () => {
    const lock = createRepoLock({ redis, prefix, ttlMs: 150, pollMs: 10 });
    // held for four lease times: renewal keeps others out
    const other = createRepoLock({ redis, prefix, ttlMs: 150, pollMs: 10 });
    const long = lock.withLock('repo5', async () => sleep(600));
    await sleep(50);
    await expect(other.withLock('repo5', async () => 'x', { waitMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    await long;

    // a lease lost (e.g. the process stalled past its ttl and someone else took it)
    const lost = lock.withLock('repo6', async (lease) => {
      await redis.set(repoLockKey(prefix, 'repo6'), 'someone-else');
      await sleep(120);
      expect(lease.held).toBe(false);
      lease.assertHeld();
    });
    await expect(lost).rejects.toBeInstanceOf(LeaseLostError);
    // and releasing never deletes the other owner's lease
    expect(await redis.get(repoLockKey(prefix, 'repo6'))).toBe('someone-else');
  });
});
