import type { Redis } from 'ioredis';

/**
 * The batch size that is safe on one {host, gpu, model}, kept in Redis so
 * every job (and every worker process) on that device starts from it:
 *
 *   <key>       the size batches start at (a plain integer: `GET` it to see what was learned)
 *   <key>:safe  the largest size that last ran without running out of memory
 *   <key>:ok    batches that succeeded at <key> since it last changed
 *
 * After `probeAfter` successes the size is raised slowly (by a quarter,
 * capped at the configured maximum) to find the limit again when memory
 * frees up; if the probe runs out of memory the job falls back to <key>:safe.
 */
export class BatchSizeMemory {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly maxSize: number,
    private readonly probeAfter = 20,
  ) {}

  static key(prefix: string, host: string, gpu: number, model: string): string {
    return `${prefix}:safe-batch:${host}:${gpu < 0 ? 'cpu' : `gpu${gpu}`}:${model}`;
  }

  private clamp(raw: string | null): number | undefined {
    const v = Number(raw);
    return raw !== null && Number.isInteger(v) && v > 0 ? Math.min(v, this.maxSize) : undefined;
  }

  /** The size to start the next batch at. */
  async get(): Promise<number> {
    return this.clamp(await this.redis.get(this.key)) ?? this.maxSize;
  }

  /** The size to start at, and the last size proven to fit when that is smaller (a probe is under way). */
  async plan(): Promise<{ size: number; knownSafe?: number }> {
    const [size, safe] = await this.redis.mget(this.key, `${this.key}:safe`);
    const start = this.clamp(size) ?? this.maxSize;
    const knownSafe = this.clamp(safe);
    return knownSafe !== undefined && knownSafe < start ? { size: start, knownSafe } : { size: start };
  }

  /**
   * Record how a batch ended: `halved` when it had to shrink to `sizeUsed`;
   * otherwise `proven` says whether a full slice of `sizeUsed` went through
   * (a batch smaller than the size is no evidence either way). Returns the
   * size the next batch starts at.
   */
  async record(outcome: { sizeUsed: number; halved: boolean; proven?: boolean }): Promise<number> {
    const { sizeUsed, halved } = outcome;
    if (halved) {
      await this.redis
        .multi()
        .set(this.key, String(sizeUsed))
        .set(`${this.key}:safe`, String(sizeUsed))
        .del(`${this.key}:ok`)
        .exec();
      return sizeUsed;
    }
    const current = await this.get();
    if (outcome.proven === false || current >= this.maxSize) return current;
    const successes = await this.redis.incr(`${this.key}:ok`);
    if (successes < this.probeAfter) return current;
    const raised = Math.min(this.maxSize, Math.max(current + 1, Math.floor(current * 1.25)));
    await this.redis
      .multi()
      .set(`${this.key}:safe`, String(current))
      .set(this.key, String(raised))
      .del(`${this.key}:ok`)
      .exec();
    return raised;
  }
}
