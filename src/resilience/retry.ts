import { assertDelay, backoffDelay } from './backoff.js';
import { abortableSleep, type Sleep } from './sleep.js';

export interface RetryInfo {
  /** the attempt that just failed (1-based) */
  attempt: number;
  /** the pause before the next attempt */
  delayMs: number;
  error: unknown;
}

export interface RetryOptions {
  /** attempts in all, the first included (an integer >= 1) */
  attempts: number;
  /** pause before the first retry; doubles per retry, with jitter (see backoff.ts) */
  baseDelayMs: number;
  /** cap on the exponential pause */
  maxDelayMs?: number;
  /** is this failure worth another attempt? `false` fails fast with it */
  retryable(err: unknown): boolean;
  /**
   * A wait the server asked for (e.g. a parsed Retry-After), used instead of
   * the backoff when `of` returns a number; never longer than `capMs`, so a
   * confused proxy cannot park a worker for hours.
   */
  serverDelay?: { of(err: unknown): number | undefined; capMs: number };
  /** called before each pause (for the log) */
  onRetry?(info: RetryInfo): void;
  /** the caller giving up: no retry after it is aborted, and the pause ends at once */
  signal?: AbortSignal;
  sleep?: Sleep;
  random?: () => number;
}

/**
 * Run `work` until it succeeds, fails with a non-retryable error, the signal
 * aborts, or the attempts run out; in the last three cases the last error is
 * thrown as it is, so callers keep their own error types.
 */
export async function retry<T>(work: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  if (!Number.isInteger(opts.attempts) || opts.attempts < 1) {
    throw new RangeError(`attempts must be an integer >= 1, got ${opts.attempts}`);
  }
  assertDelay('baseDelayMs', opts.baseDelayMs);
  const sleep = opts.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (err) {
      if (opts.signal?.aborted || attempt >= opts.attempts || !opts.retryable(err)) throw err;
      const requested = opts.serverDelay?.of(err);
      const delayMs =
        requested !== undefined
          ? Math.min(Math.max(0, requested), opts.serverDelay!.capMs)
          : backoffDelay(attempt, { baseMs: opts.baseDelayMs, maxMs: opts.maxDelayMs, random: opts.random });
      opts.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs, opts.signal);
    }
  }
}
