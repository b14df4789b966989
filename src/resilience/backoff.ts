/**
 * The one backoff formula of the project: exponential from `baseMs`, capped
 * at `maxMs`, then scaled by a jitter factor drawn uniformly from [0.8, 1.2).
 * The jitter keeps workers that failed together from retrying in lockstep;
 * it is applied after the cap so that retries at the cap stay spread out too
 * (a delay can therefore reach 1.2 x maxMs).
 */

export interface BackoffOptions {
  /** pause before the first retry, before jitter */
  baseMs: number;
  /** cap on the exponential part (default: none) */
  maxMs?: number;
  /** [0, 1) source for the jitter; default Math.random */
  random?: () => number;
}

const JITTER_LOW = 0.8;
const JITTER_SPAN = 0.4;

/** `ms` scaled by the jitter factor, [0.8, 1.2): for fixed-interval polls that must not run in lockstep either. */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (JITTER_LOW + JITTER_SPAN * random()));
}

/** Delay in ms before retry number `retry` (1 = the first retry, after the first failed attempt). */
export function backoffDelay(retry: number, opts: BackoffOptions): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be a positive integer, got ${retry}`);
  return jittered(Math.min(opts.maxMs ?? Infinity, opts.baseMs * 2 ** (retry - 1)), opts.random);
}

/** Throws a RangeError naming `what` unless `ms` is a finite number >= 0. */
export function assertDelay(what: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${what} must be a finite number of ms >= 0, got ${ms}`);
}
