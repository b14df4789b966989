import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStore, mergeScope } from '../../src/answer/session.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

describe('session scope in Redis (seed 001 §A)', () => {
  const prefix = `citest-session-${randomBytes(4).toString('hex')}`;
  let a: Redis;
  let b: Redis;
  beforeAll(() => {
    a = new Redis(REDIS_URL);
    b = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    a?.disconnect();
    b?.disconnect();
    await dropPrefix(prefix);
  });

  it('is seen by every process: set through one store, read through another', async () => {
    const one = createSessionStore({ redis: a, prefix, ttlS: 60 });
    const two = createSessionStore({ redis: b, prefix, ttlS: 60 });
    expect(await two.get('s1')).toBeNull();
    await one.set('s1', { repo: 'sample', filters: { languages: ['python'] } });
    // two's in-process cache remembered "no session" for at most its freshness window
    let seen = await two.get('s1');
    for (let i = 0; i < 30 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 100));
      seen = await two.get('s1');
    }
    expect(seen).toEqual({ repo: 'sample', filters: { languages: ['python'] } });
    await two.delete('s1');
    expect(await two.get('s1')).toBeNull();
  });

  it('expires with its TTL', async () => {
    const store = createSessionStore({ redis: a, prefix, ttlS: 1, l1FreshMs: 0 });
    await store.set('s2', { repo: 'sample' });
    expect(await a.ttl(`${prefix}:session:{s2}`)).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_200));
    expect(await store.get('s2')).toBeNull();
  });

  it('merges a request with the remembered scope: named fields win, a new repo drops the old filters', () => {
    const saved = { repo: 'a', filters: { paths: ['src/**'] } };
    expect(mergeScope(saved, {})).toEqual(saved);
    expect(mergeScope(saved, { filters: { languages: ['go'] } })).toEqual({ repo: 'a', filters: { languages: ['go'] } });
    expect(mergeScope(saved, { repo: 'b' })).toEqual({ repo: 'b' });
    expect(mergeScope(null, { repo: 'c' })).toEqual({ repo: 'c' });
    expect(mergeScope(null, {})).toEqual({});
  });
});
