import path from 'node:path';
import os from 'node:os';
import type { Worker } from 'bullmq';
import type { QueueHandlers } from '../src/contracts/jobs.js';
import { startQueueWorker } from './queueWorker.js';
import { createIndexRunProcessor } from '../jobs/indexRun.js';
import { createIndexLifecycle } from './indexLifecycle.js';
import { publishEmbeddingContract } from '../src/embedding/contractRegistry.js';
import { createEncodeDenseProcessor } from '../jobs/encodeDense.js';
import { createEncodeSparseProcessor } from '../jobs/encodeSparse.js';
import { createSinkBatchProcessor } from '../jobs/sinkBatch.js';
import { createChunker } from '../src/chunking/index.js';
import { BatchSizeMemory } from '../src/embedding/batchSizeMemory.js';
import { countVisibleGpus } from '../src/gpu/enforce.js';
import { gpuJobsPerDevice } from '../src/gpu/concurrency.js';
import { createDeviceOutage } from '../src/gpu/deviceOutage.js';
import { cloneGitRepo, realRoots } from '../src/repo/intake.js';
import { sweepFinishedClones } from '../src/indexing/cloneSweeper.js';
import { claimPrefixForStore } from '../src/queue/storeClaim.js';
import { openSnapshot } from '../src/repo/snapshot.js';
import { exists } from '../src/artifacts/atomicWrite.js';
import { createRedis } from '../src/queue/connection.js';
import { QUEUES, type QueueName, type Role } from '../src/contracts/queues.js';
import type { Runtime } from './runtime.js';
import { createParquetSink } from '../src/sinks/parquetSink.js';
import type { Sink } from '../src/sinks/port.js';
import { createVectorIndexPlanner } from '../src/vector/planner.js';
import { primaryIndexPolicy } from '../src/vector/policy.js';
import { createSinkCircuit } from '../src/sinks/circuit.js';
import { createContainedSinks } from '../src/sinks/contained.js';
import type { IndexRunPayload } from '../src/contracts/payloads.js';
import { createAnswerWorker } from './answers.js';

export interface StartedWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

/** A worker for one queue of the registry, with this process's connection settings and job metrics. */
function startWorker<Q extends QueueName>(rt: Runtime, storeId: string, queue: Q, handlers: QueueHandlers<Q>, concurrency: number): Worker {
  return startQueueWorker(queue, handlers, {
    storeId,
    connection: createRedis(rt.config.redis, 'worker'),
    prefix: rt.config.redisPrefix,
    concurrency,
    lockMs: rt.config.workers.lockMs,
    stalledIntervalMs: rt.config.workers.stalledIntervalMs,
    logger: rt.logger,
    observe: (job, status) => {
      if (job.processedOn && job.finishedOn) rt.metrics.jobDurationMs.observe({ queue, name: job.name, status }, job.finishedOn - job.processedOn);
      // an index run is one job in several steps: its whole time runs from the request to now
      const finalAttempt = status === 'completed' || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (job.name === 'index.run' && finalAttempt) {
        const requested = Date.parse((job.data as { requestedAt?: string }).requestedAt ?? '');
        const ms = status === 'completed' && typeof job.returnvalue?.durationMs === 'number' ? job.returnvalue.durationMs : Date.now() - requested;
        if (Number.isFinite(ms)) rt.metrics.indexRunDurationMs.observe({ status }, ms);
      }
    },
  });
}

const CLONE_SWEEP_INTERVAL_MS = 10 * 60_000;

export async function startRoles(rt: Runtime, roles: Role[]): Promise<StartedWorkers> {
  const { config, logger } = rt;
  const workers: Worker[] = [];
  const closers: (() => Promise<void>)[] = [];
  // one Redis prefix, one artifact store: refuse to start beside a deployment with another DATA_DIR
  const storeId = await rt.storeId();
  const claim = await claimPrefixForStore(rt.redis, {
    prefix: config.redisPrefix,
    storeId,
    dataDir: rt.storageLocation,
    onLost: (holder) => logger.error({ holder, storeId }, `another artifact store (${holder}) took REDIS_PREFIX "${config.redisPrefix}"; give each deployment its own REDIS_PREFIX`),
  });
  closers.push(() => claim.close());

  if (roles.includes('index')) {
    const planner = createVectorIndexPlanner(primaryIndexPolicy(config.faiss));
    // write lease, garbage collection, compaction, model-change detection (issue 5)
    const lifecycle = createIndexLifecycle(rt);
    // clones of runs that ended without removing them (failed, killed, removed jobs)
    const clonesDir = path.join(config.dataDir, 'clones');
    const sweep = () =>
      sweepFinishedClones(clonesDir, (runId) => rt.queues.index.getJobState(runId)).then(
        (removed) => removed.length && logger.info({ removed }, 'removed clones of finished runs'),
        (err) => logger.warn({ err }, 'sweeping finished clones failed'),
      );
    void sweep();
    const sweeper = setInterval(() => void sweep(), CLONE_SWEEP_INTERVAL_MS);
    sweeper.unref();
    closers.push(async () => clearInterval(sweeper));
    const indexRun = createIndexRunProcessor({
      ...lifecycle.runDeps,
      logger,
      artifacts: rt.artifacts,
      manifests: rt.manifests,
      flows: rt.flows,
      progress: rt.progress,
      batchSize: config.batchSize,
      storeId,
      sparseEnabled: !!config.splade.modelDir,
      vectorPlanner: planner,
      removeFromSinks: async (repo, runId, chunkIds) => {
        const sinks = await rt.optionalSinks();
        if (!sinks.length) return {};
        const contained = createContainedSinks({ logger, attempts: config.sinks.retryAttempts, failureLog: rt.sinkFailures });
        return contained.run(sinks, (sink) => sink.deleteChunks(repo, chunkIds), { repo, runId, op: 'delete', chunks: chunkIds.length });
      },
      createChunker: () => createChunker(config.chunking),
      openSnapshot: async (source: IndexRunPayload['source'], extra) => {
        if (source.kind === 'git' && !(await exists(source.root))) {
          await cloneGitRepo(source.location, source.root, {
            depth: config.intake.cloneDepth,
            maxBytes: config.intake.cloneMaxBytes,
            timeoutMs: config.intake.cloneTimeoutMs,
            ref: source.ref,
            hosts: config.intake.gitHosts,
          });
        }
        return openSnapshot(source.root, {
          maxFileBytes: config.intake.maxFileBytes,
          maxLineChars: config.intake.maxLineChars,
          // a clone already checked out the ref
          ref: source.kind === 'git' ? undefined : source.ref,
          // the previous version's stat cache (a fresh clone has new mtimes, so it simply misses)
          knownFile: extra?.knownFile,
          // git metadata may not lead outside the roots the repo was admitted under (a clone: itself)
          containWithin: source.kind === 'git' ? [source.root] : await realRoots(config.repoRoots),
        });
      },
    });
    const indexWorker = startWorker(rt, storeId, QUEUES.index, { 'index.run': indexRun, 'faiss.compact': lifecycle.compact }, config.workers.indexConcurrency);
    // a run that failed for good leaves its clone: sweep now rather than at the next interval
    indexWorker.on('failed', (job) => {
      if (job?.name === 'index.run') void sweep();
    });
    workers.push(indexWorker);
  }

  if (roles.includes('gpu')) {
    const host = os.hostname();
    // gpu_visible on /metrics: what nvidia-smi lists for this worker, re-checked at scrape time
    rt.metrics.trackGpu(() => countVisibleGpus(config.gpu.device), { device: config.gpu.device, required: config.gpu.require });
    // safe batch sizes are learned per {host, gpu, model}; dense and SPLADE have their own ceilings
    const memory = (max: number) => (model: string) =>
      new BatchSizeMemory(rt.redis, BatchSizeMemory.key(config.redisPrefix, host, config.gpu.device, model), max);
    // a device whose endpoint dies stops taking jobs (its worker pauses) until its health check answers
    const started: { worker?: Worker } = {};
    const device = createDeviceOutage({
      pause: async () => started.worker?.pause(true),
      resume: async () => started.worker?.resume(),
      healthy: async () => (await (await rt.embedder()).health()).ok,
      probeMs: config.gpu.outageProbeMs,
      logger,
      device: config.gpu.device,
    });
    closers.push(async () => device.close());
    const handlers: QueueHandlers<'gpu'> = {
      'encode.dense': createEncodeDenseProcessor({
        embedder: rt.embedder,
        device,
        artifacts: rt.artifacts,
        progress: rt.progress,
        batchMemory: memory(config.vllm.batchSize),
        logger,
        metrics: rt.metrics.encode,
      }),
    };
    if (rt.sparseEncoder) {
      handlers['encode.sparse'] = createEncodeSparseProcessor({
        encoder: rt.sparseEncoder,
        artifacts: rt.artifacts,
        progress: rt.progress,
        batchMemory: memory(config.splade.batchSize),
        logger,
        metrics: rt.metrics.encode,
      });
    }
    started.worker = startWorker(rt, storeId, QUEUES.gpu, handlers, gpuJobsPerDevice(config));
    workers.push(started.worker);
    // say which model this fleet embeds with: index runs rebuild in full when it changes
    void rt
      .embedder()
      .then((e) => publishEmbeddingContract(rt.redis, config.redisPrefix, e.contract))
      .catch((err: unknown) => logger.warn({ err }, 'could not publish the embedding contract'));
  }

  if (roles.includes('sink')) {
    const db = await rt.duckdb();
    const parquet = createParquetSink({ db, dataDir: config.dataDir, committed: rt.manifests });
    // closed by the runtime, which may share them with readiness checks and the index role
    const optional: Sink[] = await rt.optionalSinks();
    const sinkBatch = createSinkBatchProcessor({
      artifacts: rt.artifacts,
      progress: rt.progress,
      primary: parquet,
      optional,
      logger,
      optionalRetries: config.sinks.retryAttempts,
      circuit: createSinkCircuit({ cooldownMs: config.sinks.circuitCooldownMs }),
      failureLog: rt.sinkFailures,
    });
    workers.push(startWorker(rt, storeId, QUEUES.sink, { 'sink.batch': sinkBatch }, config.workers.sinkConcurrency));
  }

  if (roles.includes('answer')) {
    const answers = await createAnswerWorker(rt);
    closers.push(() => answers.close());
    workers.push(startWorker(rt, storeId, QUEUES.answer, { 'answer.run': answers.processor }, config.workers.answerConcurrency));
  }

  logger.info({ roles, queues: workers.map((w) => w.name) }, 'workers started');
  return {
    workers,
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      for (const c of closers) await c();
    },
  };
}
