/**
 * Searches leave memory freed by the native code (DuckDB's intermediate
 * chunks, per-thread glibc arenas) that glibc keeps: ~170 MB over 200 searches
 * of a 1M-chunk repo. poke() after a search starts a trim off the event loop
 * when the last one began at least `intervalMs` ago and none is running, so
 * that slack is handed back every interval instead of building up.
 */
export interface NativeHeapTrimmer {
  poke(): void;
  /** trims started so far (for tests and logs) */
  readonly trims: number;
}

export function createNativeHeapTrimmer(opts: { intervalMs: number; trim: () => Promise<unknown>; now?: () => number }): NativeHeapTrimmer {
  const now = opts.now ?? Date.now;
  let last = -Infinity;
  let running = false;
  let trims = 0;
  return {
    poke() {
      if (running || now() - last < opts.intervalMs) return;
      running = true;
      last = now();
      trims++;
      // a failed trim only means the memory stays: nothing to report to a search
      void opts
        .trim()
        .catch(() => {})
        .finally(() => {
          running = false;
        });
    },
    get trims() {
      return trims;
    },
  };
}
