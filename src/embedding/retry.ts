import { setTimeout as delay } from 'node:timers/promises';

/**
 * Retry with jittered exponential backoff. Generic so other HTTP clients
 * (rerank, LLM) can share the policy; the caller decides what is retryable.
 */

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Abortable sleep: an aborted job must not sit out a long backoff. */
export const defaultSleep: Sleep = async (ms, signal) => {
  try {
    await delay(ms, undefined, { signal });
  } catch (err) {
    throw signal?.reason ?? err; // surface the caller's reason, as an aborted request does
  }
};

/**
 * Delay before retry number `attempt` (1-based):
 * base * 2^(attempt-1), scaled by a jitter factor in [0.8, 1.2) so that
 * workers that failed together do not retry in lockstep.
 */
export function backoffMs(attempt: number, baseMs: number, random: () => number): number {
  const jitter = 0.8 + 0.4 * random();
  return Math.round(baseMs * 2 ** (attempt - 1) * jitter);
}

/**
 * Parse a Retry-After header (delta-seconds or an HTTP date) to milliseconds.
 * Returns undefined when absent or unparseable so the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const s = raw.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

export interface RetryOptions {
  /** Extra attempts after the first one. */
  maxRetries: number;
  baseMs: number;
  /** Upper bound for a server-requested Retry-After. */
  retryAfterCapMs: number;
  sleep: Sleep;
  random: () => number;
  signal?: AbortSignal;
  isRetryable(err: unknown): boolean;
  /** A server-requested wait for this failure, if any (e.g. 429 Retry-After). */
  retryAfterMs?(err: unknown): number | undefined;
  onRetry?(info: { attempt: number; delayMs: number; error: unknown }): void;
}

/** Run `fn` until it succeeds, fails non-retryably, or retries run out (then the last error is thrown). */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (opts.signal?.aborted || attempt > opts.maxRetries || !opts.isRetryable(err)) throw err;
      const requested = opts.retryAfterMs?.(err);
      const delayMs =
        requested !== undefined ? Math.min(requested, opts.retryAfterCapMs) : backoffMs(attempt, opts.baseMs, opts.random);
      opts.onRetry?.({ attempt, delayMs, error: err });
      await opts.sleep(delayMs, opts.signal);
    }
  }
}
