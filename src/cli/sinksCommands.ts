import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/index.js';
import { createLogger } from '../observability/logger.js';

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

/**
 * `codeintel sinks failures` lists optional-sink writes and deletes that gave
 * up (from Redis); `codeintel sinks resync <repo>` re-writes a repo's
 * committed version into Neo4j/OpenSearch from its Parquet parts. Both run
 * in this process against DATA_DIR and REDIS_URL (in the compose stack:
 * `docker compose -f docker-compose.gpu.yml exec api node bin/codeintel.mjs sinks ...`).
 */
export function sinksCommand(config: () => Config): Command {
  const sinks = new Command('sinks').description('inspect and heal the production sinks (Neo4j, OpenSearch)');

  sinks
    .command('failures')
    .description('list optional-sink writes and deletes that gave up, newest first')
    .option('--limit <n>', 'how many', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (opts: { limit: number; json?: boolean }) => {
      const cfg = config();
      const { createRedis } = await import('../queue/connection.js');
      const { createSinkFailureLog } = await import('../sinks/failureLog.js');
      const redis = createRedis(cfg.redis, 'worker');
      try {
        const failures = await createSinkFailureLog(redis, cfg.redisPrefix).recent(opts.limit);
        if (opts.json) process.stdout.write(`${JSON.stringify(failures, null, 2)}\n`);
        else if (!failures.length) process.stdout.write('no sink failures recorded\n');
        else {
          for (const f of failures) {
            const where = f.op === 'write' ? `batch ${f.batchIndex}` : 'delete';
            process.stdout.write(`${f.at}  ${f.sink.padEnd(10)} ${f.repo} run ${f.runId} ${where} (${f.chunks} chunks, ${f.attempts} attempts): ${f.detail}\n`);
          }
          process.stdout.write(`\nheal with: codeintel sinks resync <repo>\n`);
        }
      } finally {
        redis.disconnect();
      }
    });

  sinks
    .command('resync')
    .description("re-write a repo's committed version into the optional sinks from its Parquet parts (no re-embedding)")
    .argument('<repo>', 'repo name')
    .option('--batch <n>', 'chunks per write', positiveInt, 256)
    .action(async (repo: string, opts: { batch: number }) => {
      const cfg = config();
      const logger = createLogger({ level: cfg.logLevel });
      const { createOptionalSinks } = await import('../sinks/optional.js');
      const { createDuckDb } = await import('../catalog/duckdb.js');
      const { createStorage } = await import('../manifest/storage.js');
      const { createRedis } = await import('../queue/connection.js');
      const { resyncSinks } = await import('../sinks/resync.js');
      const optional = await createOptionalSinks(cfg, logger);
      if (!optional.length) {
        process.stderr.write('no production sink is configured (set NEO4J_URI and/or OPENSEARCH_URL)\n');
        process.exit(78);
      }
      const db = await createDuckDb({ poolSize: 2 });
      // the committed data wherever STORAGE_URL puts it (the object store's pointer is in Redis)
      const redis = createRedis(cfg.redis, 'producer');
      try {
        const report = await resyncSinks(
          {
            manifests: createStorage(cfg, redis).manifests,
            db,
            sinks: optional,
            logger,
            batchSize: opts.batch,
            attempts: cfg.sinks.retryAttempts,
            onProgress: (done, total) => process.stderr.write(`\r${done}/${total} chunks`),
          },
          repo,
        );
        process.stderr.write('\n');
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        if (Object.values(report.sinks).some((s) => s.status === 'failed')) process.exitCode = 1;
      } catch (err) {
        process.stderr.write(`resync failed: ${(err as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        await Promise.all(optional.map((s) => s.close().catch(() => {})));
        await db.close();
        redis.disconnect();
      }
    });

  return sinks;
}
