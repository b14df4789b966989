import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * One typed configuration, read from the environment once at startup.
 * Names follow the seeds (VLLM_*, REQUIRE_GPU, SPLADE_*) so operators can
 * carry their settings over. Every process role reads the same schema.
 */

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off'].includes(s)) return false;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected a boolean (1/0, true/false, yes/no, on/off)' });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (!/^-?\d+$/.test(v.trim())) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const num = (fallback: number, min: number, max = Number.MAX_VALUE) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a number between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const httpUrl = () =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      try {
        const u = new URL(v);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
        return v.replace(/\/+$/, '');
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected an http(s) URL' });
        return z.NEVER;
      }
    });

const str = (fallback?: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v));

const oneOf = <T extends string>(values: readonly T[], fallback: T) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if ((values as readonly string[]).includes(v)) return v as T;
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected one of ${values.join(', ')}` });
      return z.NEVER;
    });

const envSchema = z.object({
  // process and storage
  REDIS_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = v || 'redis://127.0.0.1:6379';
      try {
        const u = new URL(value);
        if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error('protocol');
        return value;
      } catch {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected a redis:// or rediss:// URL' });
        return z.NEVER;
      }
    }),
  REDIS_PREFIX: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const value = v || 'codeintel';
      if (!/^[A-Za-z0-9_.-]+$/.test(value)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected letters, digits, "_", "." or "-"' });
        return z.NEVER;
      }
      return value;
    }),
  DATA_DIR: str(path.resolve('.data')),
  PORT: int(8080, 0, 65535),
  HOST: str('127.0.0.1'),
  API_TOKENS: str(),
  ADMIN_TOKENS: str(),
  REPO_ROOTS: str(),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
  MAX_BODY_BYTES: int(1_048_576, 1024),

  // workers
  WORKER_LOCK_MS: int(60_000, 1_000),
  WORKER_STALLED_INTERVAL_MS: int(30_000, 500),
  INDEX_CONCURRENCY: int(2, 1, 64),
  SINK_CONCURRENCY: int(2, 1, 64),
  ANSWER_CONCURRENCY: int(8, 1, 256),
  CODEINTEL_URL: httpUrl(),

  // intake and chunking
  MAX_FILE_BYTES: int(1_048_576, 1),
  MAX_LINE_CHARS: int(1000, 80),
  CHUNK_MAX_TOKENS: int(400, 16),
  CHUNK_WINDOW_LINES: int(60, 2),
  CHUNK_OVERLAP_LINES: int(10, 0),
  BATCH_SIZE: int(256, 1, 100_000),
  GIT_CLONE_DEPTH: int(1, 1),
  GIT_CLONE_MAX_MB: int(512, 1),
  GIT_CLONE_TIMEOUT_S: int(300, 1),

  // dense embeddings (names from seed 000)
  EMBEDDER: oneOf(['auto', 'hashing', 'vllm', 'onnx'] as const, 'auto'),
  EMBEDDING_DIM: int(384, 8, 8192),
  EMBEDDING_MODEL_DIR: str(),
  VLLM_URL: httpUrl(),
  VLLM_MODEL: str('Qwen/Qwen3-Embedding-8B'),
  VLLM_BATCH_SIZE: int(256, 1, 100_000),
  VLLM_TIMEOUT_S: num(30, 0.01),
  VLLM_MAX_RETRIES: int(3, 0, 20),
  VLLM_RETRY_BACKOFF_MS: int(250, 0),
  VLLM_NORMALIZE: bool(true),
  VLLM_POOLING: oneOf(['mean', 'cls', 'last'] as const, 'mean'),
  VLLM_HEALTH_PATH: str('/health'),
  VLLM_HTTP2: bool(false),
  VLLM_MAX_MODEL_LEN: int(32768, 8),
  VLLM_QUERY_INSTRUCTION: str('Given a question about a code repository, retrieve code that answers it'),
  VLLM_ALLOW_INPROCESS_FALLBACK: bool(false),
  REQUIRE_GPU: bool(false),
  GPU_DEVICE: int(-1, -1, 64),
  GPU_CONCURRENCY: int(1, 1, 64),
  // in-process ONNX models (dense and SPLADE): intra-op threads (0 = onnxruntime's choice) and spin-waiting (off: workers share CPUs)
  ONNX_THREADS: int(0, 0, 256),
  ONNX_ALLOW_SPINNING: bool(false),

  // sparse (seed 003 §4-5)
  SPLADE_MODEL_DIR: str(),
  SPLADE_MODEL_ID: str('naver/splade-v3'),
  SPLADE_TOP_K: int(400, 1, 100_000),
  SPLADE_MIN_WEIGHT: num(0.05, 0),
  SPLADE_MAX_TOKENS: int(512, 8),
  // SPLADE logits are [batch, tokens, vocab]: at 30k terms x 512 tokens one text is ~60 MB, so its batches start smaller than dense ones
  SPLADE_BATCH_SIZE: int(32, 1, 100_000),
  SPLADE_QUERY_CACHE_TTL_S: int(60, 0),

  // retrieval and answers (seed 001)
  RRF_K: int(60, 1),
  RETRIEVAL_BUDGET_MS: int(400, 1),
  RERANK_URL: httpUrl(),
  RERANK_MODEL: str(),
  RERANK_BUDGET_MS: int(800, 1),
  LLM_URL: httpUrl(),
  LLM_MODEL: str('Qwen/Qwen3-8B'),
  LLM_API_KEY: str(),
  LLM_MAX_TOKENS: int(512, 1),
  LLM_TEMPERATURE: num(0.2, 0, 2),
  PROMPT_TOKEN_BUDGET: int(6000, 64),
  ANSWER_STREAM_TTL_S: int(3600, 1),
  ANSWER_STREAM_MAXLEN: int(10_000, 16),
  SESSION_TTL_S: int(3600, 1),
  ANSWER_CANCEL_GRACE_MS: int(5_000, 0),

  // FAISS lifecycle (seed 001 §D)
  // from bench:faiss (2 cores, 384-d): exact Flat answers one query in ~10 ms at 50k vectors; above it
  // IVF (4*sqrt(n) lists) with nprobe 16 gives recall@10 0.995 at 100k and 0.999 at 1M
  FAISS_FLAT_MAX: int(50_000, 1),
  FAISS_COMPACT_MIN_SECONDARY: int(20_000, 1),
  FAISS_COMPACT_FRACTION: num(0.2, 0, 1),
  FAISS_NPROBE: int(16, 1),
  MANIFEST_GC_GRACE_S: int(600, 0),

  // production sinks
  NEO4J_URI: str(),
  NEO4J_USER: str('neo4j'),
  NEO4J_PASSWORD: str(),
  NEO4J_DATABASE: str(),
  OPENSEARCH_URL: httpUrl(),
  OPENSEARCH_INDEX: str('codeintel-chunks'),
  OPENSEARCH_USER: str(),
  OPENSEARCH_PASSWORD: str(),
  /** which engine serves the dense channel: the local FAISS files, or Neo4j's chunk_qwen_idx (needs NEO4J_URI) */
  DENSE_CHANNEL: oneOf(['faiss', 'neo4j'] as const, 'faiss'),
  /** attempts per batch for each optional sink (Neo4j, OpenSearch) before it is reported failed */
  SINK_RETRY_ATTEMPTS: int(3, 1, 20),
  /** after a sink used up its attempts, skip it for this long instead of retrying on every batch */
  SINK_CIRCUIT_COOLDOWN_S: int(30, 0),
  /** touched every 10 s by serve/worker processes, for container health checks (scripts/healthcheck.mjs) */
  HEARTBEAT_FILE: str(),
});

export type Env = z.infer<typeof envSchema>;

export interface Config {
  redisUrl: string;
  redisPrefix: string;
  dataDir: string;
  port: number;
  host: string;
  apiTokens: string[];
  adminTokens: string[];
  /** realpath'd allowed roots; empty = any readable absolute path (loopback only). */
  repoRoots: string[];
  logLevel: Env['LOG_LEVEL'];
  maxBodyBytes: number;
  workers: { lockMs: number; stalledIntervalMs: number; indexConcurrency: number; sinkConcurrency: number; answerConcurrency: number };
  /** where the CLI finds the API */
  apiUrl: string;
  intake: {
    maxFileBytes: number;
    maxLineChars: number;
    cloneDepth: number;
    cloneMaxBytes: number;
    cloneTimeoutMs: number;
  };
  chunking: { maxTokens: number; windowLines: number; overlapLines: number };
  batchSize: number;
  embedding: {
    kind: Env['EMBEDDER'];
    dim: number;
    modelDir?: string;
    pooling: Env['VLLM_POOLING'];
    normalize: boolean;
  };
  vllm: {
    url?: string;
    model: string;
    batchSize: number;
    timeoutMs: number;
    maxRetries: number;
    retryBackoffMs: number;
    normalize: boolean;
    pooling: Env['VLLM_POOLING'];
    healthPath: string;
    http2: boolean;
    maxModelLen: number;
    queryInstruction: string;
    allowInprocessFallback: boolean;
  };
  gpu: { require: boolean; device: number; concurrency: number };
  onnx: { threads: number; allowSpinning: boolean };
  splade: {
    modelDir?: string;
    modelId: string;
    topK: number;
    minWeight: number;
    maxTokens: number;
    /** largest batch a SPLADE job starts at (halved on out-of-memory, learned per device) */
    batchSize: number;
    queryCacheTtlS: number;
  };
  retrieval: {
    rrfK: number;
    budgetMs: number;
    rerankUrl?: string;
    rerankModel?: string;
    rerankBudgetMs: number;
    /** 'faiss' (local files) or 'neo4j' (vector index); bm25/splade use OpenSearch whenever it is configured */
    denseChannel: Env['DENSE_CHANNEL'];
  };
  generation: {
    url?: string;
    model: string;
    apiKey?: string;
    maxTokens: number;
    temperature: number;
    promptTokenBudget: number;
  };
  /** cancelGraceMs: how long an answer whose last SSE client left waits for one to come back before it is cancelled */
  answers: { streamTtlS: number; streamMaxLen: number; sessionTtlS: number; cancelGraceMs: number };
  faiss: { flatMax: number; compactMinSecondary: number; compactFraction: number; nprobe: number; gcGraceS: number };
  neo4j?: { uri: string; user: string; password?: string; database?: string };
  opensearch?: { url: string; index: string; user?: string; password?: string };
  /** how sink.batch treats the optional sinks */
  sinks: { retryAttempts: number; circuitCooldownMs: number };
  heartbeatFile?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string; value?: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems
          .map((p) => `  ${p.variable}${p.value !== undefined ? `=${JSON.stringify(p.value)}` : ''}: ${p.message}`)
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
export const isLoopbackHost = (host: string) => LOOPBACK.has(host) || host.startsWith('127.');

const splitList = (v: string | undefined, sep: string | RegExp) =>
  (v ?? '')
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);

/** Read and validate every setting; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems: { variable: string; message: string; value?: string }[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0]);
      problems.push({ variable, message: issue.message, value: env[variable] });
    }
  }
  // cross-setting rules, checked on the raw values too so one message lists everything
  const host = env.HOST || '127.0.0.1';
  const repoRoots = splitList(env.REPO_ROOTS, ':');
  for (const root of repoRoots) {
    if (!path.isAbsolute(root)) problems.push({ variable: 'REPO_ROOTS', message: `"${root}" is not an absolute path`, value: env.REPO_ROOTS });
  }
  const apiTokens = splitList(env.API_TOKENS, ',');
  if (!isLoopbackHost(host) && apiTokens.length === 0) {
    problems.push({ variable: 'API_TOKENS', message: `must be set when HOST (${host}) is not a loopback address` });
  }
  if (!isLoopbackHost(host) && repoRoots.length === 0) {
    problems.push({ variable: 'REPO_ROOTS', message: `must be set when HOST (${host}) is not a loopback address` });
  }
  if (parsed.success) {
    const e = parsed.data;
    if (e.CHUNK_OVERLAP_LINES >= e.CHUNK_WINDOW_LINES) {
      problems.push({ variable: 'CHUNK_OVERLAP_LINES', message: 'must be smaller than CHUNK_WINDOW_LINES', value: env.CHUNK_OVERLAP_LINES });
    }
    if (e.EMBEDDER === 'vllm' && !e.VLLM_URL) problems.push({ variable: 'VLLM_URL', message: 'must be set when EMBEDDER=vllm' });
    if (e.EMBEDDER === 'onnx' && !e.EMBEDDING_MODEL_DIR) {
      problems.push({ variable: 'EMBEDDING_MODEL_DIR', message: 'must be set when EMBEDDER=onnx' });
    }
    if (e.NEO4J_URI && !/^(neo4j|neo4j\+s|neo4j\+ssc|bolt|bolt\+s|bolt\+ssc):\/\//.test(e.NEO4J_URI)) {
      problems.push({ variable: 'NEO4J_URI', message: 'expected a neo4j:// or bolt:// URI', value: e.NEO4J_URI });
    }
    if (e.DENSE_CHANNEL === 'neo4j' && !e.NEO4J_URI) {
      problems.push({ variable: 'DENSE_CHANNEL', message: 'DENSE_CHANNEL=neo4j needs NEO4J_URI', value: e.DENSE_CHANNEL });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const e = parsed.data!;
  const dataDir = path.resolve(e.DATA_DIR!);

  return {
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    dataDir,
    port: e.PORT,
    host: e.HOST!,
    apiTokens,
    adminTokens: splitList(e.ADMIN_TOKENS, ','),
    repoRoots: repoRoots.map((r) => path.resolve(r)),
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    workers: {
      lockMs: e.WORKER_LOCK_MS,
      stalledIntervalMs: e.WORKER_STALLED_INTERVAL_MS,
      indexConcurrency: e.INDEX_CONCURRENCY,
      sinkConcurrency: e.SINK_CONCURRENCY,
      answerConcurrency: e.ANSWER_CONCURRENCY,
    },
    apiUrl: e.CODEINTEL_URL ?? `http://${e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST!.includes(':') ? `[${e.HOST}]` : e.HOST}:${e.PORT}`,
    intake: {
      maxFileBytes: e.MAX_FILE_BYTES,
      maxLineChars: e.MAX_LINE_CHARS,
      cloneDepth: e.GIT_CLONE_DEPTH,
      cloneMaxBytes: e.GIT_CLONE_MAX_MB * 1024 * 1024,
      cloneTimeoutMs: e.GIT_CLONE_TIMEOUT_S * 1000,
    },
    chunking: { maxTokens: e.CHUNK_MAX_TOKENS, windowLines: e.CHUNK_WINDOW_LINES, overlapLines: e.CHUNK_OVERLAP_LINES },
    batchSize: e.BATCH_SIZE,
    embedding: {
      kind: e.EMBEDDER,
      dim: e.EMBEDDING_DIM,
      modelDir: e.EMBEDDING_MODEL_DIR,
      pooling: e.VLLM_POOLING,
      normalize: e.VLLM_NORMALIZE,
    },
    vllm: {
      url: e.VLLM_URL,
      model: e.VLLM_MODEL!,
      batchSize: e.VLLM_BATCH_SIZE,
      timeoutMs: Math.round(e.VLLM_TIMEOUT_S * 1000),
      maxRetries: e.VLLM_MAX_RETRIES,
      retryBackoffMs: e.VLLM_RETRY_BACKOFF_MS,
      normalize: e.VLLM_NORMALIZE,
      pooling: e.VLLM_POOLING,
      healthPath: e.VLLM_HEALTH_PATH!,
      http2: e.VLLM_HTTP2,
      maxModelLen: e.VLLM_MAX_MODEL_LEN,
      queryInstruction: e.VLLM_QUERY_INSTRUCTION!,
      allowInprocessFallback: e.VLLM_ALLOW_INPROCESS_FALLBACK,
    },
    gpu: { require: e.REQUIRE_GPU, device: e.GPU_DEVICE, concurrency: e.GPU_CONCURRENCY },
    onnx: { threads: e.ONNX_THREADS, allowSpinning: e.ONNX_ALLOW_SPINNING },
    splade: {
      modelDir: e.SPLADE_MODEL_DIR,
      modelId: e.SPLADE_MODEL_ID!,
      topK: e.SPLADE_TOP_K,
      minWeight: e.SPLADE_MIN_WEIGHT,
      maxTokens: e.SPLADE_MAX_TOKENS,
      batchSize: e.SPLADE_BATCH_SIZE,
      queryCacheTtlS: e.SPLADE_QUERY_CACHE_TTL_S,
    },
    retrieval: {
      rrfK: e.RRF_K,
      budgetMs: e.RETRIEVAL_BUDGET_MS,
      rerankUrl: e.RERANK_URL,
      rerankModel: e.RERANK_MODEL,
      rerankBudgetMs: e.RERANK_BUDGET_MS,
      denseChannel: e.DENSE_CHANNEL,
    },
    generation: {
      url: e.LLM_URL,
      model: e.LLM_MODEL!,
      apiKey: e.LLM_API_KEY,
      maxTokens: e.LLM_MAX_TOKENS,
      temperature: e.LLM_TEMPERATURE,
      promptTokenBudget: e.PROMPT_TOKEN_BUDGET,
    },
    answers: { streamTtlS: e.ANSWER_STREAM_TTL_S, streamMaxLen: e.ANSWER_STREAM_MAXLEN, sessionTtlS: e.SESSION_TTL_S, cancelGraceMs: e.ANSWER_CANCEL_GRACE_MS },
    faiss: {
      flatMax: e.FAISS_FLAT_MAX,
      compactMinSecondary: e.FAISS_COMPACT_MIN_SECONDARY,
      compactFraction: e.FAISS_COMPACT_FRACTION,
      nprobe: e.FAISS_NPROBE,
      gcGraceS: e.MANIFEST_GC_GRACE_S,
    },
    neo4j: e.NEO4J_URI ? { uri: e.NEO4J_URI, user: e.NEO4J_USER!, password: e.NEO4J_PASSWORD, database: e.NEO4J_DATABASE } : undefined,
    opensearch: e.OPENSEARCH_URL
      ? { url: e.OPENSEARCH_URL, index: e.OPENSEARCH_INDEX!, user: e.OPENSEARCH_USER, password: e.OPENSEARCH_PASSWORD }
      : undefined,
    sinks: { retryAttempts: e.SINK_RETRY_ATTEMPTS, circuitCooldownMs: e.SINK_CIRCUIT_COOLDOWN_S * 1000 },
    heartbeatFile: e.HEARTBEAT_FILE,
  };
}

export const hostname = () => os.hostname();
