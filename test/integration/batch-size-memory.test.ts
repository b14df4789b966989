import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchSizeMemory } from '../../src/embedding/batchSizeMemory.js';
import { dropPrefix, REDIS_URL } from '../support/stack.js';

describe('BatchSizeMemory (real Redis): the safe batch size per {host, gpu, model}', () => {
  const prefix = `citest-bsm-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  const fresh = (name: string, max = 32, probeAfter = 3) =>
    new BatchSizeMemory(redis, BatchSizeMemory.key(prefix, 'host-a', 0, name), max, probeAfter);

  it('keys one device of one host for one model', () => {
    expect(BatchSizeMemory.key('ci', 'gpu-box', 1, 'Qwen/Qwen3-Embedding-8B')).toBe('ci:safe-batch:gpu-box:gpu1:Qwen/Qwen3-Embedding-8B');
    expect(BatchSizeMemory.key('ci', 'laptop', -1, 'onnx:minilm')).toBe('ci:safe-batch:laptop:cpu:onnx:minilm');
  });

  it('starts at the configured maximum, and a halved batch sets the size every later job starts at', async () => {
    const memory = fresh('m1');
    expect(await memory.plan()).toEqual({ size: 32 });
    await memory.record({ sizeUsed: 8, halved: true });
    expect(await redis.get(memory.key)).toBe('8');
    // a new instance (the next job, or another worker on the same device) sees it
    expect(await fresh('m1').plan()).toEqual({ size: 8 });
  });

  it('raises the size slowly after enough successes, counted across instances, and remembers the last safe size', async () => {
    const key = 'm2';
    await fresh(key).record({ sizeUsed: 8, halved: true });
    expect(await fresh(key).record({ sizeUsed: 8, halved: false, proven: true })).toBe(8);
    expect(await fresh(key).record({ sizeUsed: 8, halved: false, proven: true })).toBe(8);
    expect(await fresh(key).record({ sizeUsed: 8, halved: false, proven: true })).toBe(10);
    // the probe at 10 knows 8 fits, so an OOM at 10 goes back to 8 instead of 5
    expect(await fresh(key).plan()).toEqual({ size: 10, knownSafe: 8 });
  });

  it('does not count a batch that never filled a slice of the size', async () => {
    const memory = fresh('m3');
    await memory.record({ sizeUsed: 4, halved: true });
    for (let i = 0; i < 5; i++) await memory.record({ sizeUsed: 4, halved: false, proven: false });
    expect(await memory.get()).toBe(4);
  });

  it('never goes above the configured maximum, even when Redis remembers more', async () => {
    await fresh('m4', 64).record({ sizeUsed: 48, halved: true });
    expect(await fresh('m4', 16).get()).toBe(16);
    const small = fresh('m5', 10, 1);
    await small.record({ sizeUsed: 9, halved: true });
    expect(await small.record({ sizeUsed: 9, halved: false, proven: true })).toBe(10);
    expect(await small.record({ sizeUsed: 10, halved: false, proven: true })).toBe(10);
  });
});
