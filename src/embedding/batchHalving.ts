import { OutOfMemoryError } from './port.js';

export interface HalvingResult<R> {
  results: R[];
  /** the batch size that worked last */
  sizeUsed: number;
  halvings: number;
}

export class BatchTooLargeError extends Error {
  constructor(message: string, override readonly cause: Error) {
    super(message);
    this.name = 'BatchTooLargeError';
  }
}

/**
 * Encode `items` in slices of `initialSize`; when the device runs out of
 * memory, halve the slice and retry the same items, down to one. Results keep
 * the input order. The size that worked is carried to the following slices.
 */
export async function encodeWithHalving<T, R>(
  items: T[],
  encode: (slice: T[]) => Promise<R[]>,
  opts: { initialSize: number; describe: (item: T) => string; onHalve?: (from: number, to: number, err: Error) => void },
): Promise<HalvingResult<R>> {
  let size = Math.max(1, Math.floor(opts.initialSize));
  let halvings = 0;
  const results: R[] = [];
  let i = 0;
  while (i < items.length) {
    const slice = items.slice(i, i + size);
    try {
      const out = await encode(slice);
      if (out.length !== slice.length) throw new Error(`encoder returned ${out.length} results for ${slice.length} inputs`);
      results.push(...out);
      i += slice.length;
    } catch (err) {
      if (!(err instanceof OutOfMemoryError) && (err as Error)?.name !== 'OutOfMemoryError') throw err;
      if (slice.length === 1) {
        throw new BatchTooLargeError(
          `out of memory even for a single input (${opts.describe(slice[0])}): ${(err as Error).message}`,
          err as Error,
        );
      }
      const next = Math.max(1, Math.floor(slice.length / 2));
      halvings++;
      opts.onHalve?.(slice.length, next, err as Error);
      size = next;
    }
  }
  return { results, sizeUsed: size, halvings };
}
