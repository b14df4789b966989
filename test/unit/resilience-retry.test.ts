import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retry, type RetryOptions } from '../../src/resilience/index.js';

class Flaky extends Error {
  constructor(
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(retryable ? 'try again' : 'never');
  }
}

/** A work function that fails with `errors` in turn, then answers 'done'; it counts its calls. */
function failing(...errors: Error[]) {
  const w = {
    calls: 0,
    run: async (attempt: number) => {
      w.calls++;
      expect(attempt).toBe(w.calls);
      const e = errors[w.calls - 1];
      if (e) throw e;
      return 'done';
    },
  };
  return w;
}

function options(over: Partial<RetryOptions> = {}) {
  const pauses: number[] = [];
  const opts: RetryOptions = {
    attempts: 4,
    baseDelayMs: 100,
    retryable: (err) => err instanceof Flaky && err.retryable,
    sleep: async (ms) => void pauses.push(ms),
    random: () => 0.5,
    ...over,
  };
  return { opts, pauses };
}

describe('retry', () => {
  it('retries retryable failures with the backoff and returns the first success', async () => {
    const w = failing(new Flaky(true), new Flaky(true));
    const { opts, pauses } = options();
    await expect(retry(w.run, opts)).resolves.toBe('done');
    expect(w.calls).toBe(3);
    expect(pauses).toEqual([100, 200]);
  });

  it('fails fast on a failure the classifier does not retry, with that very error', async () => {
    const fatal = new Flaky(false);
    const w = failing(new Flaky(true), fatal);
    const { opts, pauses } = options();
    await expect(retry(w.run, opts)).rejects.toBe(fatal);
    expect(w.calls).toBe(2);
    expect(pauses).toEqual([100]);
  });

  it('throws the last error once the attempts are used up', async () => {
    const last = new Flaky(true);
    const w = failing(new Flaky(true), new Flaky(true), last);
    const { opts } = options({ attempts: 3 });
    await expect(retry(w.run, opts)).rejects.toBe(last);
    expect(w.calls).toBe(3);
  });

  it('honours a server-given delay instead of the backoff', async () => {
    const w = failing(new Flaky(true, 2500));
    const { opts, pauses } = options({ serverDelay: { of: (e) => (e as Flaky).retryAfterMs, capMs: 30_000 } });
    await retry(w.run, opts);
    expect(pauses).toEqual([2500]);
  });

  it('caps a server-given delay', async () => {
    const w = failing(new Flaky(true, 3_600_000));
    const { opts, pauses } = options({ serverDelay: { of: (e) => (e as Flaky).retryAfterMs, capMs: 30_000 } });
    await retry(w.run, opts);
    expect(pauses).toEqual([30_000]);
  });

  it('falls back to the backoff when the failure carries no server delay', async () => {
    const w = failing(new Flaky(true));
    const { opts, pauses } = options({ serverDelay: { of: () => undefined, capMs: 30_000 } });
    await retry(w.run, opts);
    expect(pauses).toEqual([100]);
  });

  it('reports each retry before its pause', async () => {
    const first = new Flaky(true);
    const seen: unknown[] = [];
    const { opts } = options({ onRetry: (info) => seen.push(info) });
    await retry(failing(first).run, opts);
    expect(seen).toEqual([{ attempt: 1, delayMs: 100, error: first }]);
  });

  it('does not retry once the caller has aborted', async () => {
    const ac = new AbortController();
    const w = {
      calls: 0,
      run: async () => {
        w.calls++;
        ac.abort(new Error('job cancelled'));
        throw new Flaky(true);
      },
    };
    const { opts, pauses } = options({ signal: ac.signal });
    await expect(retry(w.run, opts)).rejects.toBeInstanceOf(Flaky);
    expect(w.calls).toBe(1);
    expect(pauses).toEqual([]);
  });

  it('ends a real pause at once when the caller aborts, with the caller’s reason', async () => {
    const ac = new AbortController();
    const w = failing(new Flaky(true));
    const { opts } = options({ baseDelayMs: 60_000, sleep: undefined, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('job cancelled')), 20);
    const started = Date.now();
    await expect(retry(w.run, opts)).rejects.toThrow('job cancelled');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(w.calls).toBe(1);
  });

  it('rejects attempts that are not an integer >= 1, before any work', async () => {
    const w = failing();
    await expect(retry(w.run, options({ attempts: 0 }).opts)).rejects.toThrow(RangeError);
    await expect(retry(w.run, options({ attempts: 2.5 }).opts)).rejects.toThrow(/attempts must be an integer >= 1/);
    expect(w.calls).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter(' 1.5 ', 0)).toBe(1500);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    const now = Date.parse('Tue, 01 Dec 2026 06:00:00 GMT');
    expect(parseRetryAfter('Tue, 01 Dec 2026 06:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 05:00:00 GMT', now)).toBe(0);
  });
  it('is undefined when absent or unparseable', () => {
    expect(parseRetryAfter(undefined, 0)).toBeUndefined();
    expect(parseRetryAfter('', 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
  it('takes the first of repeated headers', () => {
    expect(parseRetryAfter(['3', '9'], 0)).toBe(3000);
  });
});
