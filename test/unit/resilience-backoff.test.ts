import { describe, expect, it } from 'vitest';
import { backoffDelay, jittered } from '../../src/resilience/index.js';

describe('backoffDelay: exponential with ±20% jitter', () => {
  it('doubles per retry from the base when the jitter factor is exactly 1', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, { baseMs: 100, random: () => 0.5 }))).toEqual([100, 200, 400, 800]);
  });

  it('spans 0.8 to 1.2 times the exponential delay over the range of the random source (rounded to whole ms)', () => {
    expect(backoffDelay(3, { baseMs: 100, random: () => 0 })).toBe(320);
    expect(backoffDelay(3, { baseMs: 100, random: () => 0.25 })).toBe(360);
    expect(backoffDelay(3, { baseMs: 100, random: () => 0.999999 })).toBe(480);
  });

  it('stays within its bounds with the real random source', () => {
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(2, { baseMs: 1000 });
      expect(d).toBeGreaterThanOrEqual(1600);
      expect(d).toBeLessThanOrEqual(2400);
    }
  });

  it('caps the exponential part at maxMs, then jitters it so capped retries stay spread out', () => {
    expect(backoffDelay(10, { baseMs: 100, maxMs: 1000, random: () => 0.5 })).toBe(1000);
    expect(backoffDelay(10, { baseMs: 100, maxMs: 1000, random: () => 0 })).toBe(800);
  });

  it('rejects a retry number that is not a positive integer', () => {
    expect(() => backoffDelay(0, { baseMs: 100 })).toThrow(RangeError);
    expect(() => backoffDelay(1.5, { baseMs: 100 })).toThrow(/positive integer/);
  });
});

describe('jittered: the same jitter for fixed-interval polls', () => {
  it('scales an interval by 0.8 to 1.2', () => {
    expect([0, 0.5, 0.999999].map((r) => jittered(200, () => r))).toEqual([160, 200, 240]);
  });
});
