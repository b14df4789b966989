import { describe, expect, it } from 'vitest';
import { BatchTooLargeError } from '../../src/errors/batchTooLargeError.js';
import { encodeWithHalving } from '../../src/embedding/batchHalving.js';
import { OutOfMemoryError } from '../../src/errors/outOfMemoryError.js';

/** An encoder with a memory limit: batches above `limit` run out of memory, like a GPU would. */
function limitedEncoder(limit: number) {
  const calls: number[] = [];
  const encode = async (slice: number[]) => {
    calls.push(slice.length);
    if (slice.length > limit) throw new OutOfMemoryError(`Failed to allocate memory for a batch of ${slice.length}`, slice.length);
    return slice.map((x) => x * 10);
  };
  return { calls, encode };
}

const items = (n: number) => Array.from({ length: n }, (_, i) => i);
const describeItem = (i: number) => `item ${i}`;

describe('encodeWithHalving', () => {
  it('halves the batch on out-of-memory until it fits, keeps going at that size and keeps the input order', async () => {
    const enc = limitedEncoder(8);
    const halves: [number, number][] = [];
    const out = await encodeWithHalving(items(40), enc.encode, {
      initialSize: 32,
      describe: describeItem,
      onHalve: (from, to) => halves.push([from, to]),
    });
    expect(halves).toEqual([
      [32, 16],
      [16, 8],
    ]);
    expect(enc.calls).toEqual([32, 16, 8, 8, 8, 8, 8]);
    expect(out).toMatchObject({ sizeUsed: 8, halvings: 2, proven: true });
    expect(out.results).toEqual(items(40).map((x) => x * 10));
  });

  it('does not halve when the batch fits', async () => {
    const enc = limitedEncoder(64);
    const out = await encodeWithHalving(items(20), enc.encode, { initialSize: 16, describe: describeItem });
    expect(enc.calls).toEqual([16, 4]);
    expect(out).toMatchObject({ sizeUsed: 16, halvings: 0, proven: true });
  });

  it('says a batch smaller than the size proved nothing about that size', async () => {
    const out = await encodeWithHalving(items(5), limitedEncoder(64).encode, { initialSize: 16, describe: describeItem });
    expect(out).toMatchObject({ sizeUsed: 16, halvings: 0, proven: false });
  });

  it('after a failed probe upwards goes back to the size known to fit, not to half the probe', async () => {
    const enc = limitedEncoder(8);
    const out = await encodeWithHalving(items(30), enc.encode, { initialSize: 10, knownSafe: 8, describe: describeItem });
    expect(enc.calls).toEqual([10, 8, 8, 8, 6]);
    expect(out).toMatchObject({ sizeUsed: 8, halvings: 1 });
    expect(out.results).toHaveLength(30);
  });

  it('halves below a known-safe size that no longer fits (memory was taken meanwhile)', async () => {
    const enc = limitedEncoder(3);
    const out = await encodeWithHalving(items(12), enc.encode, { initialSize: 10, knownSafe: 8, describe: describeItem });
    expect(enc.calls.slice(0, 4)).toEqual([10, 8, 4, 2]);
    expect(out.sizeUsed).toBe(2);
    expect(out.results).toEqual(items(12).map((x) => x * 10));
  });

  it('fails with BatchTooLargeError naming the input when even one alone runs out of memory', async () => {
    const enc = limitedEncoder(0);
    const err = await encodeWithHalving(items(4), enc.encode, { initialSize: 4, describe: (i) => `chunk c${i} a.py:1-9` }).catch((e) => e);
    expect(err).toBeInstanceOf(BatchTooLargeError);
    expect(err.message).toContain('out of memory even for a single input (chunk c0 a.py:1-9)');
    expect(enc.calls).toEqual([4, 2, 1]);
  });

  it('passes any other error on at once, without halving', async () => {
    const calls: number[] = [];
    const boom = Object.assign(new Error('HTTP 500: engine dead'), { retryable: true });
    const err = await encodeWithHalving(
      items(16),
      async (slice) => {
        calls.push(slice.length);
        throw boom;
      },
      { initialSize: 16, describe: describeItem },
    ).catch((e) => e);
    expect(err).toBe(boom);
    expect(calls).toEqual([16]);
  });

  it('recognises an OutOfMemoryError by name too (from another copy of the module)', async () => {
    let first = true;
    const out = await encodeWithHalving(
      items(4),
      async (slice) => {
        if (first) {
          first = false;
          throw Object.assign(new Error('oom'), { name: 'OutOfMemoryError' });
        }
        return slice;
      },
      { initialSize: 4, describe: describeItem },
    );
    expect(out).toMatchObject({ sizeUsed: 2, halvings: 1 });
  });
});
