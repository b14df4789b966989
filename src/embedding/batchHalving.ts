import { OutOfMemoryError } from '../errors/outOfMemoryError.js';
import { BatchTooLargeError } from '../errors/batchTooLargeError.js';

export interface HalvingResult<R> {
  results: R[];
  /** the batch size that worked last */
  sizeUsed: number;
  halvings: number;
  /** a slice of exactly `sizeUsed` items succeeded (a short tail alone proves nothing about the size) */
  proven: boolean;
}


export const isOutOfMemory = (err: unknown): boolean =>
  err instanceof OutOfMemoryError || (err as Error | undefined)?.name === 'OutOfMemoryError';

export interface HalvingOptions<T> {
  initialSize: number;
  /**
   * A size that already worked on this device. When a larger slice (a probe
   * upwards) runs out of memory, the retry goes straight back to it instead
   * of to half the probe, which could be far below what is known to fit.
   */
  knownSafe?: number;
  describe: (item: T) => string;
  onHalve?: (from: number, to: number, err: Error) => void;
}

/**
 * Encode `items` in slices of `initialSize`; when the device runs out of
 * memory, halve the slice and retry the same items, down to one. Results keep
 * the input order. The size that worked is carried to the following slices.
 * Any error other than an out-of-memory signal is passed on untouched.
 */
export async function encodeWithHalving<T, R>(
  items: T[],
  encode: (slice: T[]) => Promise<R[]>,
  opts: HalvingOptions<T>,
): Promise<HalvingResult<R>> {
  let size = Math.max(1, Math.floor(opts.initialSize));
  let halvings = 0;
  let proven = false;
  const results: R[] = [];
  let i = 0;
  while (i < items.length) {
    const slice = items.slice(i, i + size);
    try {
      const out = await encode(slice);
      if (out.length !== slice.length) throw new Error(`encoder returned ${out.length} results for ${slice.length} inputs`);
      results.push(...out);
      i += slice.length;
      if (slice.length === size) proven = true;
    } catch (err) {
      if (!isOutOfMemory(err)) throw err;
      if (slice.length === 1) {
        throw new BatchTooLargeError(
          `out of memory even for a single input (${opts.describe(slice[0])}): ${(err as Error).message}`,
          err as Error,
        );
      }
      const half = Math.max(1, Math.floor(slice.length / 2));
      const safe = opts.knownSafe;
      const next = safe !== undefined && safe > half && safe < slice.length ? safe : half;
      halvings++;
      opts.onHalve?.(slice.length, next, err as Error);
      size = next;
      proven = false;
    }
  }
  return { results, sizeUsed: size, halvings, proven };
}
