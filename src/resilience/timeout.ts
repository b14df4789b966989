/** The work did not settle within its time; its signal has been aborted with this error as the reason. */
export class TimeoutError extends Error {
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export interface TimeoutOptions {
  /** the TimeoutError's message (default "timed out after <ms> ms") */
  message?: string;
  /** the caller's own signal: handed on to the work, which settles by itself when it aborts */
  signal?: AbortSignal;
}

/**
 * Run `work` with a signal that aborts after `ms`; reject at that moment with
 * a TimeoutError, without waiting for the work to notice (its late outcome is
 * dropped). `Infinity` means no time limit. The timer never outlives the call.
 */
export function withTimeout<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, opts: TimeoutOptions = {}): Promise<T> {
  if (Number.isNaN(ms) || ms < 0) return Promise.reject(new RangeError(`a timeout must be a number of ms >= 0, got ${ms}`));
  const deadline = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline.signal]) : deadline.signal;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    if (Number.isFinite(ms)) {
      timer = setTimeout(() => {
        const err = new TimeoutError(opts.message ?? `timed out after ${ms} ms`, ms);
        reject(err); // settles now; the work hears of the abort only after, so its abort error is dropped
        deadline.abort(err);
      }, ms);
    }
    let running: Promise<T>;
    try {
      running = Promise.resolve(work(signal));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
