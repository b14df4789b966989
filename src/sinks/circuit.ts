/**
 * A per-sink circuit breaker for the optional sinks. When a sink has used up
 * its attempts on one batch, the following batches skip it for `cooldownMs`
 * instead of each waiting through their own retries against a server that is
 * down; the first batch after the pause tries again (and re-opens the circuit
 * if it fails). One per worker process: it only saves time, it decides nothing
 * that must be shared.
 */
export interface SinkCircuit {
  /** why the sink should be skipped now, or null when it may be tried */
  skipReason(sink: string): string | null;
  failed(sink: string, detail: string): void;
  succeeded(sink: string): void;
}

export function createSinkCircuit(opts: { cooldownMs: number; now?: () => number }): SinkCircuit {
  const now = opts.now ?? Date.now;
  const open = new Map<string, { until: number; detail: string; since: number }>();
  return {
    skipReason(sink) {
      const o = open.get(sink);
      if (!o || now() >= o.until) return null;
      return (
        `skipped: ${sink} failed on an earlier batch at ${new Date(o.since).toISOString()} (${o.detail}); ` +
        `next attempt after ${new Date(o.until).toISOString()}`
      );
    },
    failed(sink, detail) {
      if (opts.cooldownMs <= 0) return;
      const t = now();
      open.set(sink, { until: t + opts.cooldownMs, detail, since: t });
    },
    succeeded(sink) {
      open.delete(sink);
    },
  };
}
