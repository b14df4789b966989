import { onnxDevice } from '../src/embedding/onnxDevice.js';
import path from 'node:path';
import os from 'node:os';
import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ArtifactStore } from '../src/artifacts/store.js';
import { createDuckDb, type DuckDb } from '../src/catalog/duckdb.js';
import { createProcessCatalogBuilder } from '../src/catalog/catalogBuildProcess.js';
import type { Config } from '../src/config/index.js';
import { createEmbedder } from '../src/embedding/factory.js';
import type { Embedder } from '../src/embedding/port.js';
import type { ManifestStore } from '../src/manifest/store.js';
import { createStorage } from '../src/manifest/storage.js';
import { createMetrics, type Metrics } from '../src/observability/metrics.js';
import type { Logger } from '../src/observability/logger.js';
import { createRedis } from '../src/queue/connection.js';
import { ALL_QUEUES, type QueueName } from '../src/contracts/queues.js';
import { RunProgress } from '../src/queue/runProgress.js';
import { RepoReaders } from '../src/retrieval/repoReaders.js';
import { createSynonymExpansion } from '../src/retrieval/synonymExpansion.js';
import { createSearchService, type SearchService } from '../src/retrieval/searchService.js';
import { createSpladeEncoder } from '../src/sparse/splade.js';
import type { SparseEncoder } from '../src/sparse/port.js';
import type { SparseVector } from '../src/contracts/sparse.js';
import { createQueryExpansionCache } from '../src/sparse/queryCache.js';
import { resolveHealthUrl } from '../src/embedding/vllmUrls.js';
import { systemProbes } from '../src/gpu/enforce.js';
import type { Sink } from '../src/sinks/port.js';
import { createOptionalSinks } from '../src/sinks/optional.js';
import { createSinkFailureLog, observedFailureLog, type SinkFailureLog } from '../src/sinks/failureLog.js';
import { createExternalChannels } from '../src/retrieval/externalChannels.js';
import { createMappedPagesBudget } from '../src/vector/mappedPagesBudget.js';
import { trimNativeHeap, trimNativeHeapAsync } from '../src/vector/faissNative.js';
import { createNativeHeapTrimmer } from '../src/vector/nativeHeapTrimmer.js';
import { startMemoryReport } from './memoryReport.js';
import { createFullGc } from './fullGc.js';

/**
 * The process's dependencies, built once at startup from the config and
 * handed to the API, the processors and the workers (no global singletons).
 * Heavy parts (DuckDB, models) are created on first use so a role that does
 * not need them never pays for them.
 */
export interface Runtime {
  config: Config;
  logger: Logger;
  /** producer connection: queues, flows, progress counters, caches */
  redis: Redis;
  queues: Record<QueueName, Queue>;
  flows: FlowProducer;
  artifacts: ArtifactStore;
  manifests: ManifestStore;
  /** the artifact store's identity (see storeClaim) */
  storeId(): Promise<string>;
  /** DATA_DIR or s3://bucket/prefix, for messages */
  storageLocation: string;
  /** throws when the store cannot be reached */
  probeStorage(): Promise<void>;
  progress: RunProgress;
  /**
   * What HTTP and MCP requests use: queues and progress on a fail-fast connection (no offline queue, two
   * retries), so a request during a Redis outage is answered 503 at once instead of waiting for Redis to
   * return. Processors keep the patient connection above: a Redis restart must not fail their jobs.
   */
  requests(): { redis: Redis; queues: Record<QueueName, Queue>; progress: RunProgress };
  metrics: Metrics;
  duckdb(): Promise<DuckDb>;
  embedder(): Promise<Embedder>;
  /** null when no SPLADE model is configured */
  sparseEncoder: (() => Promise<SparseEncoder>) | null;
  /** SPLADE query expansion with a Redis cache, or null */
  expandQuery: ((text: string) => Promise<SparseVector>) | null;
  readers(): Promise<RepoReaders>;
  search(): Promise<SearchService>;
  /** the production sinks the settings switch on (Neo4j, OpenSearch) plus any injected ones; one set per process */
  optionalSinks(): Promise<Sink[]>;
  /** optional-sink writes and deletes that gave up, for operators (Redis stream) */
  sinkFailures: SinkFailureLog;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** extra optional sinks, written after Parquet like Neo4j and OpenSearch (tests inject failing ones) */
  extraSinks?: Sink[];
  /** the dense embedder every role uses instead of the configured one (bench/encode.ts: a real model behind a fault injector) */
  embedder?: () => Promise<Embedder>;
}

function lazy<T>(make: () => Promise<T>): { get: () => Promise<T>; peek: () => Promise<T> | null } {
  let p: Promise<T> | null = null;
  return {
    get: () => {
      p ??= make().catch((err) => {
        p = null; // let a later call try again (e.g. a model dir fixed meanwhile)
        throw err;
      });
      return p;
    },
    peek: () => p,
  };
}

export function createRuntime(config: Config, logger: Logger, opts: RuntimeOptions = {}): Runtime {
  const redis = createRedis(config.redis, 'worker');
  redis.on('error', (err) => logger.warn({ err }, 'redis connection error'));
  const prefix = config.redisPrefix;
  const queuesOn = (connection: Redis) =>
    Object.fromEntries(ALL_QUEUES.map((name) => [name, new Queue(name, { connection, prefix })])) as Record<QueueName, Queue>;
  const queues = queuesOn(redis);
  const flows = new FlowProducer({ connection: redis, prefix });
  let requestSide: ReturnType<Runtime['requests']> | undefined;
  const requests = () => {
    if (!requestSide) {
      const fast = createRedis(config.redis, 'producer');
      fast.on('error', (err) => logger.warn({ err }, 'redis connection error (request side)'));
      requestSide = { redis: fast, queues: queuesOn(fast), progress: new RunProgress(fast, prefix) };
    }
    return requestSide;
  };
  const vllmHealthUrl = config.vllm.url ? resolveHealthUrl(config.vllm.url, config.vllm.healthPath) : null;
  const metrics = createMetrics({
    queues: () => Object.values(queues),
    vllm: vllmHealthUrl ? { endpoint: vllmHealthUrl, healthy: async () => (await systemProbes.vllmHealth(vllmHealthUrl)).ok } : undefined,
  });
  const storage = createStorage(config, redis);
  const manifests = storage.manifests;

  const duckdbTempDir = path.join(config.duckdb.tempDir ?? path.join(os.tmpdir(), 'codeintel-duckdb'), String(process.pid));
  const duckdb = lazy(() =>
    createDuckDb({
      poolSize: 6,
      memoryLimit: `${config.duckdb.memoryLimitMb}MB`,
      threads: config.duckdb.threads,
      tempDirectory: duckdbTempDir,
    }),
  );
  // gpu_oom_total counts halvings, which the encode processors report: not counted here a second time
  const embedder = lazy(opts.embedder ?? (() => createEmbedder(config, logger)));
  const sparse = config.splade.modelDir
    ? lazy(() =>
        createSpladeEncoder({
          modelDir: config.splade.modelDir!,
          modelId: config.splade.modelId,
          topK: config.splade.topK,
          minWeight: config.splade.minWeight,
          maxTokens: config.splade.maxTokens,
          device: onnxDevice(config.gpu),
          threads: config.onnx.threads,
          allowSpinning: config.onnx.allowSpinning,
        }),
      )
    : null;
  const expandQuery = sparse
    ? createQueryExpansionCache({ redis, prefix, ttlS: config.splade.queryCacheTtlS, encoder: sparse.get })
    : null;
  const readers = lazy(async () => {
    // only a process that opens repo readers exposes V8's gc (after each load)
    const fullGc = createFullGc();
    return new RepoReaders({
      manifests,
      db: await duckdb.get(),
      logger,
      faissParams: { nprobe: config.faiss.nprobe, efSearch: 128 },
      maxOpenRepos: config.retrieval.maxOpenRepos,
      memoryBudgetBytes: config.retrieval.memoryBudgetBytes,
      catalogDir: config.retrieval.catalogStore === 'disk' ? path.resolve(config.retrieval.catalogDir ?? path.join(config.dataDir, 'catalogs')) : undefined,
      faissMmap: config.retrieval.faissMmap,
      faissMappedPages: createMappedPagesBudget(config.retrieval.faissMappedBytes),
      // the load's garbage first, so the trim finds the native memory V8's wrappers held
      trimNativeHeap: () => {
        fullGc();
        trimNativeHeap();
      },
      nativeHeapTrimmer:
        config.retrieval.nativeTrimIntervalMs > 0 ? createNativeHeapTrimmer({ intervalMs: config.retrieval.nativeTrimIntervalMs, trim: trimNativeHeapAsync }) : undefined,
      buildCatalogFile:
        config.retrieval.catalogBuild === 'process'
          ? createProcessCatalogBuilder({
              memoryLimitMb: config.retrieval.catalogBuildMemoryLimitMb,
              threads: config.duckdb.threads,
              tempDir: duckdbTempDir,
              timeoutMs: config.retrieval.catalogBuildTimeoutMs,
              logger,
            })
          : undefined,
      learnVocabulary: config.retrieval.repoVocabularyWeight > 0,
    });
  });
  const external = lazy(() => createExternalChannels(config, { embedder: embedder.get, expandQuery, logger }));
  const search = lazy(async () =>
    createSearchService({
      readers: await readers.get(),
      embedder: embedder.get,
      expandQuery,
      logger,
      rrfK: config.retrieval.rrfK,
      defaultBudgetMs: config.retrieval.budgetMs,
      hydrateBudgetMs: config.retrieval.hydrateBudgetMs,
      admission: config.retrieval.admission,
      ...(config.retrieval.synonymWeight > 0
        ? { synonyms: createSynonymExpansion({ weight: config.retrieval.synonymWeight, senses: config.retrieval.synonymSenses }) }
        : {}),
      repoVocabularyWeight: config.retrieval.repoVocabularyWeight,
      channels: (await external.get()).channels,
    }),
  );
  const stopMemoryReport = startMemoryReport({ logger, duckdb: duckdb.peek });
  const configuredSinks = lazy(() => createOptionalSinks(config, logger));
  const optionalSinks = async () => [...(await configuredSinks.get()), ...(opts.extraSinks ?? [])];

  return {
    config,
    logger,
    redis,
    queues,
    flows,
    artifacts: storage.artifacts,
    storeId: storage.storeId,
    storageLocation: storage.location,
    probeStorage: storage.probe,
    manifests,
    progress: new RunProgress(redis, prefix),
    requests,
    metrics,
    duckdb: duckdb.get,
    embedder: embedder.get,
    sparseEncoder: sparse?.get ?? null,
    expandQuery,
    readers: readers.get,
    search: search.get,
    optionalSinks,
    sinkFailures: observedFailureLog(createSinkFailureLog(redis, prefix), (f) => metrics.sinkFailuresTotal.inc({ sink: f.sink, op: f.op })),
    async close() {
      stopMemoryReport();
      await external.peek()?.then((e) => e.close(), () => {});
      await configuredSinks.peek()?.then((sinks) => Promise.all(sinks.map((s) => s.close().catch(() => {}))), () => {});
      await readers.peek()?.then((r) => r.close(), () => {});
      await embedder.peek()?.then((e) => e.close(), () => {});
      await sparse?.peek()?.then((e) => e.close(), () => {});
      await duckdb.peek()?.then((d) => d.close(), () => {});
      await flows.close();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      if (requestSide) await Promise.all(Object.values(requestSide.queues).map((q) => q.close()));
      requestSide?.redis.disconnect();
      redis.disconnect();
    },
  };
}

