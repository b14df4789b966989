/**
 * A circuit breaker for a dependency that may be down. `failureThreshold`
 * consecutive failures open it: calls are refused for `cooldownMs` instead of
 * each waiting through its own retries. After the cooldown it is half-open:
 * calls go ahead again, and the first outcome decides (a failure re-opens it
 * for another cooldown, a success closes it). Half-open does not hold back all
 * but one trial call: the callers (sink batches of one worker) are few, and
 * a call refused here still costs a later resync.
 *
 * A `cooldownMs` <= 0 never opens; `Infinity` stays open for the breaker's life.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Why calls are refused now. */
export interface CircuitOpen {
  /** when it opened (ms, from `now`) */
  since: number;
  /** when it half-opens (may be Infinity) */
  until: number;
  /** the detail of the failure that opened it */
  lastFailure: string;
}

export interface CircuitBreakerOptions {
  cooldownMs: number;
  /** consecutive failures that open the circuit (default 1) */
  failureThreshold?: number;
  now?: () => number;
}

export interface CircuitBreaker {
  readonly state: CircuitState;
  /** null when a call may go ahead now; otherwise why it may not */
  refusal(): CircuitOpen | null;
  recordSuccess(): void;
  recordFailure(detail: string): void;
}

export function circuitBreaker(opts: CircuitBreakerOptions): CircuitBreaker {
  const threshold = opts.failureThreshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`failureThreshold must be an integer >= 1, got ${threshold}`);
  if (Number.isNaN(opts.cooldownMs)) throw new RangeError('cooldownMs must be a number');
  const now = opts.now ?? Date.now;
  let failures = 0;
  let open: CircuitOpen | null = null;

  const state = (): CircuitState => (!open ? 'closed' : now() < open.until ? 'open' : 'half-open');

  return {
    get state() {
      return state();
    },
    refusal() {
      return state() === 'open' ? open : null;
    },
    recordSuccess() {
      failures = 0;
      open = null;
    },
    recordFailure(detail) {
      if (opts.cooldownMs <= 0) return;
      failures++;
      // a failed half-open call re-opens at once; a closed circuit waits for the threshold
      if (open || failures >= threshold) {
        const t = now();
        open = { since: t, until: t + opts.cooldownMs, lastFailure: detail };
      }
    },
  };
}
