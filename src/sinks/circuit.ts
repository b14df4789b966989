import { circuitBreaker, type CircuitBreaker } from '../resilience/index.js';

/**
 * A circuit breaker per optional sink (src/resilience/circuit.ts). When a sink
 * has used up its attempts on one batch, the following batches skip it for
 * `cooldownMs` instead of each waiting through their own retries against a
 * server that is down; the first batch after the pause tries again (and
 * re-opens the circuit if it fails). One per worker process: it only saves
 * time, it decides nothing that must be shared. `cooldownMs: Infinity` skips a
 * failed sink for the life of the circuit (one resync run).
 */
export interface SinkCircuit {
  /** why the sink should be skipped now, or null when it may be tried */
  skipReason(sink: string): string | null;
  failed(sink: string, detail: string): void;
  succeeded(sink: string): void;
}

export function createSinkCircuit(opts: { cooldownMs: number; now?: () => number }): SinkCircuit {
  const breakers = new Map<string, CircuitBreaker>();
  const breaker = (sink: string) => {
    let b = breakers.get(sink);
    if (!b) breakers.set(sink, (b = circuitBreaker({ cooldownMs: opts.cooldownMs, failureThreshold: 1, now: opts.now })));
    return b;
  };
  return {
    skipReason(sink) {
      const open = breakers.get(sink)?.refusal();
      if (!open) return null;
      const next = Number.isFinite(open.until) && open.until <= MAX_DATE_MS ? `after ${new Date(open.until).toISOString()}` : 'not in this run';
      return `skipped: ${sink} failed on an earlier batch at ${new Date(open.since).toISOString()} (${open.lastFailure}); next attempt ${next}`;
    },
    failed(sink, detail) {
      breaker(sink).recordFailure(detail);
    },
    succeeded(sink) {
      breakers.get(sink)?.recordSuccess();
    },
  };
}

/** The largest time a Date can show (ECMAScript: 8.64e15 ms); a longer cooldown has no date to print. */
const MAX_DATE_MS = 8.64e15;
