import { describe, expect, it } from 'vitest';
import { trimNativeHeapAsync } from '../../src/vector/faissNative.js';
import { createNativeHeapTrimmer } from '../../src/vector/nativeHeapTrimmer.js';

/** SEARCH_NATIVE_TRIM_INTERVAL_MS: searches poke the trimmer; it trims off the event loop at most once per interval, one at a time. */
describe('native heap trimmer', () => {
  it('trims on the first poke, then not again until the interval has passed and the last trim ended', async () => {
    let clock = 0;
    const results: boolean[] = [];
    let running: Promise<boolean> | null = null;
    const trimmer = createNativeHeapTrimmer({
      intervalMs: 1000,
      now: () => clock,
      trim: () => (running = trimNativeHeapAsync().then((r) => (results.push(r), r))),
    });
    trimmer.poke();
    trimmer.poke();
    expect(trimmer.trims).toBe(1);
    clock = 5000; // the interval has passed, but the first trim may still run
    trimmer.poke();
    await running;
    await new Promise((r) => setImmediate(r));
    expect(results.length).toBe(1);
    expect(typeof results[0]).toBe('boolean');
    const before = trimmer.trims;
    clock = 5500;
    trimmer.poke(); // less than the interval since the last started (or the first, still counted)
    clock = 20_000;
    trimmer.poke();
    await running;
    expect(trimmer.trims).toBe(before + 1);
  });

  it('a trim that fails only means the memory stays: the next interval trims again', async () => {
    let clock = 0;
    let calls = 0;
    const trimmer = createNativeHeapTrimmer({ intervalMs: 10, now: () => clock, trim: async () => (calls++, Promise.reject(new Error('no'))) });
    trimmer.poke();
    await new Promise((r) => setImmediate(r));
    clock = 100;
    trimmer.poke();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
  });
});
