import type { Redis } from 'ioredis';

/**
 * The batch size that is safe on one {host, gpu, model}, kept in Redis so
 * every job on that device starts from it. After a run of successes it is
 * raised slowly (by a quarter, capped at the configured size) to find the
 * limit again when memory frees up.
 */
export class BatchSizeMemory {
  private successes = 0;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly maxSize: number,
    private readonly probeAfter = 20,
  ) {}

  static key(prefix: string, host: string, gpu: number, model: string): string {
    return `${prefix}:safe-batch:${host}:${gpu < 0 ? 'cpu' : `gpu${gpu}`}:${model}`;
  }

  async get(): Promise<number> {
    const v = Number(await this.redis.get(this.key));
    return Number.isInteger(v) && v > 0 ? Math.min(v, this.maxSize) : this.maxSize;
  }

  /** Record the size a batch ended on; `halved` says whether it had to shrink. */
  async record(sizeUsed: number, halved: boolean): Promise<number> {
    if (halved) {
      this.successes = 0;
      await this.redis.set(this.key, String(sizeUsed));
      return sizeUsed;
    }
    const current = await this.get();
    if (current >= this.maxSize) return current;
    this.successes++;
    if (this.successes < this.probeAfter) return current;
    this.successes = 0;
    const raised = Math.min(this.maxSize, Math.max(current + 1, Math.floor(current * 1.25)));
    await this.redis.set(this.key, String(raised));
    return raised;
  }
}
