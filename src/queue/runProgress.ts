import type { Redis } from 'ioredis';

export type RunStage = 'embedded' | 'expanded' | 'written';
const STAGES: RunStage[] = ['embedded', 'expanded', 'written'];
const TTL_S = 14 * 24 * 3600;

/**
 * Per-run chunk counters kept in Redis so every worker process can add to
 * them. One hash per stage, one field per batch: a retried batch overwrites
 * its own field instead of counting twice.
 */
export class RunProgress {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private key(runId: string, stage: RunStage) {
    return `${this.prefix}:run:${runId}:${stage}`;
  }

  async record(runId: string, stage: RunStage, batchIndex: number, count: number): Promise<void> {
    const key = this.key(runId, stage);
    await this.redis.multi().hset(key, String(batchIndex), String(count)).expire(key, TTL_S).exec();
  }

  async read(runId: string): Promise<Record<RunStage, number>> {
    const pipeline = this.redis.pipeline();
    for (const stage of STAGES) pipeline.hvals(this.key(runId, stage));
    const results = await pipeline.exec();
    const out = { embedded: 0, expanded: 0, written: 0 };
    STAGES.forEach((stage, i) => {
      const values = (results?.[i]?.[1] as string[] | undefined) ?? [];
      out[stage] = values.reduce((sum, v) => sum + Number(v), 0);
    });
    return out;
  }

  async clear(runId: string): Promise<void> {
    await this.redis.del(...STAGES.map((s) => this.key(runId, s)));
  }
}
