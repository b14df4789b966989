import { describe, expect, it } from 'vitest';
import { TimeoutError, withTimeout } from '../../src/resilience/index.js';

const never = () => new Promise<never>(() => {});

describe('withTimeout', () => {
  it('passes the result through when the work is in time', async () => {
    await expect(withTimeout(() => Promise.resolve(7), 50, { message: 'late' })).resolves.toBe(7);
  });

  it('rejects with a TimeoutError carrying the message when it is not', async () => {
    const err = await withTimeout(never, 10, { message: 'missed its 10 ms budget' }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toBe('missed its 10 ms budget');
    expect(err.timeoutMs).toBe(10);
  });

  it('says how long it waited when no message is given', async () => {
    await expect(withTimeout(never, 5)).rejects.toThrow('timed out after 5 ms');
  });

  it('aborts the signal handed to the work, with the TimeoutError as the reason', async () => {
    let seen: AbortSignal | undefined;
    const err = await withTimeout((signal) => ((seen = signal), never()), 10).catch((e) => e);
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBe(err);
  });

  it('rejects at the deadline even when the work ignores its signal', async () => {
    const started = Date.now();
    await expect(withTimeout(() => new Promise((r) => setTimeout(r, 2000)), 20)).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('reports the TimeoutError, not the abort error of work that stops when told', async () => {
    const work = (signal: AbortSignal) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('request aborted'))));
    await expect(withTimeout(work, 10)).rejects.toBeInstanceOf(TimeoutError);
  });

  it("hands the caller's abort on to the work, whose own outcome is then the answer", async () => {
    const ac = new AbortController();
    const work = (signal: AbortSignal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    setTimeout(() => ac.abort(new Error('client went away')), 10);
    await expect(withTimeout(work, 5000, { signal: ac.signal })).rejects.toThrow('client went away');
  });

  it('does not abort the signal of work that finished in time', async () => {
    let seen: AbortSignal | undefined;
    await withTimeout(async (signal) => void (seen = signal), 10);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen!.aborted).toBe(false);
  });

  it('passes on a synchronous throw of the work as a rejection', async () => {
    const work = (): Promise<never> => {
      throw new Error('bad input');
    };
    await expect(withTimeout(work, 50)).rejects.toThrow('bad input');
  });

  it('has no time limit with Infinity', async () => {
    await expect(withTimeout(() => new Promise((r) => setTimeout(() => r('late but fine'), 20)), Infinity)).resolves.toBe('late but fine');
  });

  it('rejects a negative or NaN timeout with a clear error', async () => {
    await expect(withTimeout(never, -1)).rejects.toThrow(RangeError);
    await expect(withTimeout(never, Number.NaN)).rejects.toThrow(/a timeout must be a number of ms >= 0/);
  });
});
