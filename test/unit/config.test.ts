import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, configVariables, isLoopbackHost, loadConfig, type Config } from '../../src/config/index.js';

/** The problems of the ConfigError that loading `env` throws (fails when it loads). */
function problemsOf(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { problems: (err as ConfigError).problems, message: (err as ConfigError).message };
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

const variablesOf = (env: Record<string, string>) => problemsOf(env).problems.map((p) => p.variable);

describe('config defaults', () => {
  it('an empty environment gives the embedded single-machine setup', () => {
    expect(loadConfig({})).toEqual({
      redis: { url: 'redis://127.0.0.1:6379' },
      redisPrefix: 'codeintel',
      dataDir: path.resolve('.data'),
      storage: { kind: 'directory' },
      cacheMaxBytes: 10 * 1024 ** 3,
      port: 8080,
      host: '127.0.0.1',
      apiTokens: [],
      adminTokens: [],
      repoRoots: [],
      maxBodyBytes: 1_048_576,
      apiUrl: 'http://127.0.0.1:8080',
      logLevel: 'info',
      heartbeatFile: undefined,
      workers: { lockMs: 60_000, stalledIntervalMs: 30_000, indexConcurrency: 2, sinkConcurrency: 4, answerConcurrency: 8 },
      intake: { maxFileBytes: 1_048_576, maxLineChars: 1000, cloneDepth: 1, cloneMaxBytes: 512 * 1024 * 1024, cloneTimeoutMs: 300_000, gitHosts: { allowHosts: [] } },
      chunking: { maxTokens: 400, windowLines: 60, overlapLines: 10 },
      batchSize: 256,
      embedding: { kind: 'auto', dim: 384, modelDir: undefined, pooling: 'mean', normalize: true },
      vllm: {
        url: undefined,
        endpoints: 'shared',
        urls: [],
        model: 'Qwen/Qwen3-Embedding-8B',
        batchSize: 256,
        batchMaxTokens: 65_536,
        timeoutMs: 30_000,
        maxRetries: 3,
        retryBackoffMs: 250,
        normalize: true,
        pooling: 'mean',
        healthPath: '/health',
        http2: false,
        maxModelLen: 32768,
        queryInstruction: 'Given a question about a code repository, retrieve code that answers it',
        allowInprocessFallback: false,
      },
      gpu: { require: false, device: -1, concurrency: undefined, outageProbeMs: 1000 },
      onnx: { threads: 0, allowSpinning: false },
      splade: { modelDir: undefined, modelId: 'naver/splade-v3', topK: 400, minWeight: 0.05, maxTokens: 512, batchSize: 32, queryCacheTtlS: 60 },
      retrieval: { rrfK: 60, budgetMs: 400, rerankUrl: undefined, rerankModel: undefined, rerankBudgetMs: 800, hydrateBudgetMs: 1000, maxOpenRepos: 32, memoryBudgetBytes: 512 * 1024 * 1024, catalogStore: 'disk', catalogDir: undefined, catalogBuild: 'process', catalogBuildMemoryLimitMb: 0, catalogBuildTimeoutMs: 3_600_000, faissMmap: true, faissMappedBytes: 256 * 1024 * 1024, nativeTrimIntervalMs: 2000, admission: { maxConcurrent: 8, maxQueued: 64 }, denseChannel: 'faiss', synonymWeight: 0.6, synonymSenses: 2, repoVocabularyWeight: 0 },
      generation: { url: undefined, model: 'Qwen/Qwen3-8B', apiKey: undefined, maxTokens: 512, temperature: 0.2, promptTokenBudget: 6000 },
      answers: { streamTtlS: 3600, streamMaxLen: 10_000, sessionTtlS: 3600, cancelGraceMs: 5000, maxStreams: 256, streamMaxMs: 900_000 },
      faiss: { flatMax: 50_000, compactMinSecondary: 20_000, compactFraction: 0.2, nprobe: 16, gcGraceS: 600 },
      duckdb: { memoryLimitMb: 512, threads: undefined, tempDir: undefined },
      neo4j: undefined,
      opensearch: undefined,
      sinks: { retryAttempts: 3, circuitCooldownMs: 30_000 },
    } satisfies Config);
  });

  it('empty values count as unset', () => {
    expect(loadConfig({ PORT: '', VLLM_NORMALIZE: '', LOG_LEVEL: '', VLLM_URL: '', NEO4J_URI: '' })).toEqual(loadConfig({}));
  });
});

describe('config sections', () => {
  it('storage: STORAGE_URL=s3://bucket/prefix with an endpoint, region and path-style addressing', () => {
    const c = loadConfig({ STORAGE_URL: 's3://codeintel-data/prod/a/', S3_ENDPOINT: 'http://minio:9000/', AWS_REGION: 'eu-west-1', S3_FORCE_PATH_STYLE: 'true', CACHE_MAX_BYTES: '2097152' });
    expect(c.storage).toEqual({ kind: 's3', bucket: 'codeintel-data', prefix: 'prod/a', endpoint: 'http://minio:9000', region: 'eu-west-1', forcePathStyle: true });
    expect(c.cacheMaxBytes).toBe(2097152);
  });

  it('storage: AWS_ENDPOINT_URL_S3 is the endpoint when S3_ENDPOINT is unset', () => {
    expect(loadConfig({ STORAGE_URL: 's3://bucket1', AWS_ENDPOINT_URL_S3: 'https://s3.example.com' }).storage).toMatchObject({ bucket: 'bucket1', prefix: '', endpoint: 'https://s3.example.com' });
  });

  it('storage: a STORAGE_URL that is not s3:// or a bad bucket name is refused at startup', () => {
    expect(() => loadConfig({ STORAGE_URL: 'gs://bucket/x' })).toThrow(/STORAGE_URL.*s3:\/\/bucket\/prefix/s);
    expect(() => loadConfig({ STORAGE_URL: 's3://Bad_Bucket/x' })).toThrow(/STORAGE_URL.*not a valid S3 bucket name/s);
    expect(() => loadConfig({ STORAGE_URL: 's3://bucket/../x' })).toThrow(/STORAGE_URL/);
    expect(() => loadConfig({ CACHE_MAX_BYTES: '10' })).toThrow(/CACHE_MAX_BYTES/);
  });

  it('redis: REDIS_URL and REDIS_PREFIX', () => {
    const c = loadConfig({ REDIS_URL: 'rediss://cache:6380/2', REDIS_PREFIX: 'team-a.v2' });
    expect([c.redis.url, c.redisPrefix]).toEqual(['rediss://cache:6380/2', 'team-a.v2']);
  });

  it('redis: a Sentinel group from REDIS_SENTINELS, REDIS_SENTINEL_MASTER and REDIS_SENTINEL_PASSWORD', () => {
    const c = loadConfig({ REDIS_SENTINELS: 'sentinel-a:26379, [::1]:26380', REDIS_SENTINEL_MASTER: 'queues', REDIS_SENTINEL_PASSWORD: 's3cret' });
    expect(c.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      sentinel: { sentinels: [{ host: 'sentinel-a', port: 26379 }, { host: '::1', port: 26380 }], name: 'queues', password: 's3cret' },
    });
    expect(loadConfig({ REDIS_SENTINELS: 'a:26379' }).redis.sentinel?.name).toBe('mymaster');
    expect(() => loadConfig({ REDIS_SENTINELS: 'a:26379,b:99999' })).toThrow(/REDIS_SENTINELS.*b:99999/s);
  });

  it('storage: DATA_DIR is resolved against the working directory', () => {
    expect(loadConfig({ DATA_DIR: 'var/data' }).dataDir).toBe(path.resolve('var/data'));
  });

  it('server: address, tokens, allowed roots and the URL the CLI uses', () => {
    const c = loadConfig({
      HOST: '0.0.0.0',
      PORT: '9000',
      API_TOKENS: ' a , b,,',
      ADMIN_TOKENS: 'root',
      REPO_ROOTS: '/srv/repos:/home/x/../y',
      MAX_BODY_BYTES: '2048',
    });
    expect(c).toMatchObject({ host: '0.0.0.0', port: 9000, apiTokens: ['a', 'b'], adminTokens: ['root'], repoRoots: ['/srv/repos', '/home/y'], maxBodyBytes: 2048 });
    expect(c.apiUrl).toBe('http://127.0.0.1:9000');
  });

  it('server: the CLI URL brackets IPv6 hosts, and CODEINTEL_URL overrides it without its trailing slash', () => {
    expect(loadConfig({ HOST: '::1', PORT: '81' }).apiUrl).toBe('http://[::1]:81');
    expect(loadConfig({ CODEINTEL_URL: 'https://api.example:8443/' }).apiUrl).toBe('https://api.example:8443');
  });

  it('observability: LOG_LEVEL and HEARTBEAT_FILE', () => {
    expect(loadConfig({ LOG_LEVEL: 'debug', HEARTBEAT_FILE: '/tmp/hb' })).toMatchObject({ logLevel: 'debug', heartbeatFile: '/tmp/hb' });
  });

  it('workers: locks, stall checks and concurrency per role', () => {
    const c = loadConfig({ WORKER_LOCK_MS: '5000', WORKER_STALLED_INTERVAL_MS: '1000', INDEX_CONCURRENCY: '3', SINK_CONCURRENCY: '4', ANSWER_CONCURRENCY: '16' });
    expect(c.workers).toEqual({ lockMs: 5000, stalledIntervalMs: 1000, indexConcurrency: 3, sinkConcurrency: 4, answerConcurrency: 16 });
  });

  it('intake: file limits, and clone limits converted to bytes and milliseconds', () => {
    const c = loadConfig({ MAX_FILE_BYTES: '10', MAX_LINE_CHARS: '120', GIT_CLONE_DEPTH: '5', GIT_CLONE_MAX_MB: '2', GIT_CLONE_TIMEOUT_S: '7', GIT_ALLOWED_HOSTS: 'git.corp, 10.0.0.0/8' });
    expect(c.intake).toEqual({
      maxFileBytes: 10,
      maxLineChars: 120,
      cloneDepth: 5,
      cloneMaxBytes: 2 * 1024 * 1024,
      cloneTimeoutMs: 7000,
      gitHosts: { allowHosts: ['git.corp', '10.0.0.0/8'] },
    });
  });

  it('intake: GIT_ALLOWED_HOSTS refuses an entry that is neither a host, an address nor a CIDR range', () => {
    expect(() => loadConfig({ GIT_ALLOWED_HOSTS: '10.0.0.0/99' })).toThrow(/GIT_ALLOWED_HOSTS/);
  });

  it('chunking: chunk bounds and the batch size', () => {
    const c = loadConfig({ CHUNK_MAX_TOKENS: '200', CHUNK_WINDOW_LINES: '30', CHUNK_OVERLAP_LINES: '0', BATCH_SIZE: '64' });
    expect([c.chunking, c.batchSize]).toEqual([{ maxTokens: 200, windowLines: 30, overlapLines: 0 }, 64]);
  });

  it('embedding: the embedder, and the vLLM client with its timeout in milliseconds', () => {
    const c = loadConfig({
      EMBEDDER: 'vllm',
      EMBEDDING_DIM: '4096',
      EMBEDDING_MODEL_DIR: '/models/qwen',
      VLLM_URL: 'http://vllm:8000/v1/',
      VLLM_MODEL: 'm',
      VLLM_BATCH_SIZE: '32',
      VLLM_TIMEOUT_S: '1.5',
      VLLM_MAX_RETRIES: '0',
      VLLM_RETRY_BACKOFF_MS: '10',
      VLLM_NORMALIZE: 'off',
      VLLM_POOLING: 'last',
      VLLM_HEALTH_PATH: '/ready',
      VLLM_HTTP2: 'yes',
      VLLM_MAX_MODEL_LEN: '8192',
      VLLM_QUERY_INSTRUCTION: 'find code',
      VLLM_ALLOW_INPROCESS_FALLBACK: 'TRUE',
    });
    expect(c.embedding).toEqual({ kind: 'vllm', dim: 4096, modelDir: '/models/qwen', pooling: 'last', normalize: false });
    expect(c.vllm).toEqual({
      url: 'http://vllm:8000/v1',
      endpoints: 'shared',
      urls: [],
      model: 'm',
      batchSize: 32,
      batchMaxTokens: 65_536,
      timeoutMs: 1500,
      maxRetries: 0,
      retryBackoffMs: 10,
      normalize: false,
      pooling: 'last',
      healthPath: '/ready',
      http2: true,
      maxModelLen: 8192,
      queryInstruction: 'find code',
      allowInprocessFallback: true,
    });
  });

  it('gpu: REQUIRE_GPU, GPU_DEVICE and GPU_CONCURRENCY', () => {
    expect(loadConfig({ REQUIRE_GPU: '1', GPU_DEVICE: '2', GPU_CONCURRENCY: '3' }).gpu).toEqual({ require: true, device: 2, concurrency: 3, outageProbeMs: 1000 });
  });

  it('onnx: threads and spinning', () => {
    expect(loadConfig({ ONNX_THREADS: '4', ONNX_ALLOW_SPINNING: 'on' }).onnx).toEqual({ threads: 4, allowSpinning: true });
  });

  it('splade: model, pruning, batch and cache', () => {
    const c = loadConfig({
      SPLADE_MODEL_DIR: '/models/splade',
      SPLADE_MODEL_ID: 'x/y',
      SPLADE_TOP_K: '100',
      SPLADE_MIN_WEIGHT: '0.5',
      SPLADE_MAX_TOKENS: '256',
      SPLADE_BATCH_SIZE: '8',
      SPLADE_QUERY_CACHE_TTL_S: '0',
    });
    expect(c.splade).toEqual({ modelDir: '/models/splade', modelId: 'x/y', topK: 100, minWeight: 0.5, maxTokens: 256, batchSize: 8, queryCacheTtlS: 0 });
  });

  it('retrieval: fusion, budgets, reranker and the dense channel', () => {
    const c = loadConfig({
      RRF_K: '10',
      RETRIEVAL_BUDGET_MS: '50',
      RERANK_URL: 'http://rerank:1/',
      RERANK_MODEL: 'bge',
      RERANK_BUDGET_MS: '90',
      HYDRATE_BUDGET_MS: '70',
      SEARCH_MAX_OPEN_REPOS: '3',
      DENSE_CHANNEL: 'neo4j',
      NEO4J_URI: 'bolt://graph:7687',
      QUERY_SYNONYM_WEIGHT: '0.2',
      QUERY_REPO_VOCABULARY_WEIGHT: '0.1',
      CATALOG_BUILD: 'inline',
      CATALOG_BUILD_MEMORY_LIMIT_MB: '2048',
      CATALOG_BUILD_TIMEOUT_S: '60',
      SEARCH_MAX_CONCURRENT: '4',
      SEARCH_MAX_QUEUED: '0',
    });
    expect(c.retrieval).toEqual({
      rrfK: 10,
      budgetMs: 50,
      rerankUrl: 'http://rerank:1',
      rerankModel: 'bge',
      rerankBudgetMs: 90,
      hydrateBudgetMs: 70,
      maxOpenRepos: 3,
      memoryBudgetBytes: 512 * 1024 * 1024,
      catalogStore: 'disk',
      catalogDir: undefined,
      catalogBuild: 'inline',
      catalogBuildMemoryLimitMb: 2048,
      catalogBuildTimeoutMs: 60_000,
      faissMmap: true,
      faissMappedBytes: 256 * 1024 * 1024,
      nativeTrimIntervalMs: 2000,
      admission: { maxConcurrent: 4, maxQueued: 0 },
      denseChannel: 'neo4j',
      synonymWeight: 0.2,
      synonymSenses: 2,
      repoVocabularyWeight: 0.1,
    });
  });

  it('answers: the generator and the answer streams', () => {
    const c = loadConfig({
      LLM_URL: 'https://llm.example/v1',
      LLM_MODEL: 'small',
      LLM_API_KEY: 'sk',
      LLM_MAX_TOKENS: '64',
      LLM_TEMPERATURE: '0',
      PROMPT_TOKEN_BUDGET: '1000',
      ANSWER_STREAM_TTL_S: '60',
      ANSWER_STREAM_MAXLEN: '100',
      SESSION_TTL_S: '120',
      ANSWER_CANCEL_GRACE_MS: '0',
      ANSWER_MAX_STREAMS: '4',
      ANSWER_STREAM_MAX_S: '30',
    });
    expect(c.generation).toEqual({ url: 'https://llm.example/v1', model: 'small', apiKey: 'sk', maxTokens: 64, temperature: 0, promptTokenBudget: 1000 });
    expect(c.answers).toEqual({ streamTtlS: 60, streamMaxLen: 100, sessionTtlS: 120, cancelGraceMs: 0, maxStreams: 4, streamMaxMs: 30_000 });
  });

  it('faiss: index kind threshold, compaction and manifest GC', () => {
    const c = loadConfig({ FAISS_FLAT_MAX: '10', FAISS_COMPACT_MIN_SECONDARY: '5', FAISS_COMPACT_FRACTION: '1', FAISS_NPROBE: '4', MANIFEST_GC_GRACE_S: '0' });
    expect(c.faiss).toEqual({ flatMax: 10, compactMinSecondary: 5, compactFraction: 1, nprobe: 4, gcGraceS: 0 });
  });

  it('memory-bounded serving: the search memory budget in MB, the catalog store and FAISS mmap', () => {
    const c = loadConfig({ SEARCH_MEMORY_BUDGET_MB: '256', SEARCH_CATALOG_STORE: 'memory', SEARCH_CATALOG_DIR: '/var/cache/ci', SEARCH_FAISS_MMAP: 'off', SEARCH_FAISS_MAPPED_MB: '0', SEARCH_NATIVE_TRIM_INTERVAL_MS: '0' });
    expect([c.retrieval.memoryBudgetBytes, c.retrieval.catalogStore, c.retrieval.catalogDir, c.retrieval.faissMmap, c.retrieval.faissMappedBytes, c.retrieval.nativeTrimIntervalMs]).toEqual([256 * 1024 * 1024, 'memory', '/var/cache/ci', false, 0, 0]);
  });

  it('a search memory budget that is not a whole number of MB of at least 16 is refused by name', () => {
    for (const bad of ['0', '15', '1.5', '1GB', '-1']) {
      expect(() => loadConfig({ SEARCH_MEMORY_BUDGET_MB: bad }), bad).toThrow(/SEARCH_MEMORY_BUDGET_MB/);
    }
    expect(() => loadConfig({ SEARCH_CATALOG_STORE: 'tape' })).toThrow(/SEARCH_CATALOG_STORE/);
  });

  it('duckdb: memory limit in MB (at least 64), threads (0 = DuckDB decides) and the spill directory', () => {
    const c = loadConfig({ DUCKDB_MEMORY_LIMIT_MB: '2048', DUCKDB_THREADS: '2', DUCKDB_TEMP_DIR: '/scratch' });
    expect(c.duckdb).toEqual({ memoryLimitMb: 2048, threads: 2, tempDir: '/scratch' });
    expect(() => loadConfig({ DUCKDB_MEMORY_LIMIT_MB: '32' })).toThrow(/DUCKDB_MEMORY_LIMIT_MB/);
  });

  it('sinks: Neo4j and OpenSearch are on when their URL is set, with the retry policy in milliseconds', () => {
    const c = loadConfig({
      NEO4J_URI: 'neo4j+s://graph:7687',
      NEO4J_USER: 'u',
      NEO4J_PASSWORD: 'p',
      NEO4J_DATABASE: 'code',
      OPENSEARCH_URL: 'https://search:9200/',
      OPENSEARCH_INDEX: 'chunks',
      OPENSEARCH_USER: 'admin',
      OPENSEARCH_PASSWORD: 'pw',
      SINK_RETRY_ATTEMPTS: '5',
      SINK_CIRCUIT_COOLDOWN_S: '2',
    });
    expect(c.neo4j).toEqual({ uri: 'neo4j+s://graph:7687', user: 'u', password: 'p', database: 'code' });
    expect(c.opensearch).toEqual({ url: 'https://search:9200', index: 'chunks', user: 'admin', password: 'pw' });
    expect(c.sinks).toEqual({ retryAttempts: 5, circuitCooldownMs: 2000 });
  });

  it('sinks: the user and index defaults apply once the sink is on', () => {
    const c = loadConfig({ NEO4J_URI: 'bolt://g:7687', OPENSEARCH_URL: 'http://s:9200' });
    expect([c.neo4j?.user, c.opensearch?.index]).toEqual(['neo4j', 'codeintel-chunks']);
  });
});

describe('config errors', () => {
  it('one error lists every bad variable, each with its value and what it expects', () => {
    const { message } = problemsOf({
      REDIS_URL: 'http://cache',
      REDIS_PREFIX: 'a b',
      PORT: 'eighty',
      VLLM_TIMEOUT_S: '-1',
      VLLM_NORMALIZE: 'maybe',
      LOG_LEVEL: 'loud',
      OPENSEARCH_URL: 'search:9200',
      NEO4J_URI: 'http://graph',
      REPO_ROOTS: '/ok:relative',
    });
    expect(message.split('\n').sort()).toEqual(
      [
        'Invalid configuration:',
        '  REDIS_URL="http://cache": expected a redis:// or rediss:// URL',
        '  REDIS_PREFIX="a b": expected letters, digits, "_", "." or "-"',
        '  PORT="eighty": expected an integer between 0 and 65535',
        `  VLLM_TIMEOUT_S="-1": expected a number between 0.01 and ${Number.MAX_VALUE}`,
        '  VLLM_NORMALIZE="maybe": expected a boolean (1/0, true/false, yes/no, on/off)',
        '  LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent',
        '  OPENSEARCH_URL="search:9200": expected an http(s) URL',
        '  NEO4J_URI="http://graph": expected a neo4j:// or bolt:// URI',
        '  REPO_ROOTS="/ok:relative": "relative" is not an absolute path',
      ].sort(),
    );
  });

  it('integers reject fractions and values out of range', () => {
    expect(variablesOf({ INDEX_CONCURRENCY: '1.5', GPU_DEVICE: '-2', SINK_RETRY_ATTEMPTS: '21' }).sort()).toEqual([
      'GPU_DEVICE',
      'INDEX_CONCURRENCY',
      'SINK_RETRY_ATTEMPTS',
    ]);
  });
});

describe('config rules between settings', () => {
  it('a non-loopback HOST needs API_TOKENS and REPO_ROOTS', () => {
    expect(problemsOf({ HOST: '0.0.0.0' }).message).toBe(
      'Invalid configuration:\n' +
        '  API_TOKENS: must be set when HOST (0.0.0.0) is not a loopback address\n' +
        '  REPO_ROOTS: must be set when HOST (0.0.0.0) is not a loopback address',
    );
    expect(loadConfig({ HOST: '0.0.0.0', API_TOKENS: 't', REPO_ROOTS: '/repos' }).host).toBe('0.0.0.0');
  });

  it('the HOST rule is reported beside bad values of other variables', () => {
    expect(variablesOf({ HOST: '10.0.0.5', PORT: 'eighty', VLLM_TIMEOUT_S: '-1' }).sort()).toEqual(['API_TOKENS', 'PORT', 'REPO_ROOTS', 'VLLM_TIMEOUT_S']);
  });

  it('CHUNK_OVERLAP_LINES must be smaller than CHUNK_WINDOW_LINES', () => {
    expect(problemsOf({ CHUNK_WINDOW_LINES: '10', CHUNK_OVERLAP_LINES: '10' }).message).toContain(
      'CHUNK_OVERLAP_LINES="10": must be smaller than CHUNK_WINDOW_LINES',
    );
  });

  it('a rule is reported even when a variable of another section is bad', () => {
    expect(variablesOf({ CHUNK_WINDOW_LINES: '5', PORT: 'x' }).sort()).toEqual(['CHUNK_OVERLAP_LINES', 'PORT']);
  });

  it('EMBEDDER=vllm needs VLLM_URL and EMBEDDER=onnx needs EMBEDDING_MODEL_DIR', () => {
    expect(problemsOf({ EMBEDDER: 'vllm' }).message).toContain('  VLLM_URL: must be set when EMBEDDER=vllm');
    expect(problemsOf({ EMBEDDER: 'onnx' }).message).toContain('  EMBEDDING_MODEL_DIR: must be set when EMBEDDER=onnx');
  });

  it('DENSE_CHANNEL=neo4j needs NEO4J_URI', () => {
    expect(problemsOf({ DENSE_CHANNEL: 'neo4j' }).message).toContain('  DENSE_CHANNEL="neo4j": DENSE_CHANNEL=neo4j needs NEO4J_URI');
  });

  it('loopback means 127.0.0.0/8, ::1, localhost and the IPv4-mapped loopback', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('config schema', () => {
  it('lists every variable its sections read', () => {
    expect(configVariables).toHaveLength(120);
    expect(configVariables).toEqual(expect.arrayContaining(['REDIS_URL', 'HOST', 'VLLM_URL', 'DENSE_CHANNEL', 'NEO4J_URI', 'HEARTBEAT_FILE']));
  });

  // checked by `tsc --noEmit` (test/ is in tsconfig), not at run time
  it('infers the Config type the callers use', () => {
    expectTypeOf<Config['logLevel']>().toEqualTypeOf<'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'>();
    expectTypeOf<Config['embedding']['kind']>().toEqualTypeOf<'auto' | 'hashing' | 'vllm' | 'onnx'>();
    expectTypeOf<Config['vllm']['pooling']>().toEqualTypeOf<'mean' | 'cls' | 'last'>();
    expectTypeOf<Config['retrieval']['denseChannel']>().toEqualTypeOf<'faiss' | 'neo4j'>();
    expectTypeOf<Config['port']>().toEqualTypeOf<number>();
    expectTypeOf<Config['repoRoots']>().toEqualTypeOf<string[]>();
    expectTypeOf<Config['vllm']['model']>().toEqualTypeOf<string>();
    // what may be unset is optional, as in "not configured"
    expectTypeOf<Pick<Config['vllm'], 'url'>>().toEqualTypeOf<{ url?: string | undefined }>();
    expectTypeOf<Pick<Config, 'neo4j'>>().toEqualTypeOf<{ neo4j?: { uri: string; user: string; password?: string | undefined; database?: string | undefined } | undefined }>();
    expectTypeOf<Pick<Config, 'heartbeatFile'>>().toEqualTypeOf<{ heartbeatFile?: string | undefined }>();
  });
});
