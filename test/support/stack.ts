import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config/index.js';
import { silentLogger, createLogger } from '../../src/observability/logger.js';
import type { Role } from '../../src/contracts/queues.js';
import type { Sink } from '../../src/sinks/port.js';
import type { IndexJobView } from '../../src/api/routes/indexJobs.js';
import { serve, type Server } from '../../workers/serve.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export interface TestStack {
  config: Config;
  server: Server;
  url: string;
  dataDir: string;
  prefix: string;
  close(): Promise<void>;
}

/** Delete every key under a test's Redis prefix. */
export async function dropPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** The test environment: a private Redis prefix, a temp DATA_DIR, an ephemeral port. */
export async function testEnv(extra: Record<string, string> = {}): Promise<{ env: Record<string, string>; dataDir: string; prefix: string }> {
  const dataDir = await makeTmpDir('codeintel-data-');
  const prefix = `citest-${randomBytes(4).toString('hex')}`;
  return {
    dataDir,
    prefix,
    env: {
      REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      WORKER_LOCK_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      ...extra,
    },
  };
}

/** API + every worker role in this process, as `codeintel serve` runs them. */
export async function startStack(
  opts: { env?: Record<string, string>; roles?: Role[]; api?: boolean; /** optional sinks written after Parquet */ extraSinks?: Sink[] } = {},
): Promise<TestStack> {
  const { env, dataDir, prefix } = await testEnv(opts.env);
  const config = loadConfig(env);
  const logger = env.LOG_LEVEL === 'silent' ? silentLogger() : createLogger({ level: env.LOG_LEVEL });
  const server = await serve(config, logger, { roles: opts.roles, api: opts.api, extraSinks: opts.extraSinks });
  return {
    config,
    server,
    url: server.url,
    dataDir,
    prefix,
    async close() {
      await server.close();
      await dropPrefix(prefix);
      await removeDir(dataDir);
    },
  };
}

/** Poll an index job over HTTP until it completes or fails. */
export async function waitForIndexJob(url: string, jobId: string, timeoutMs = 60_000, headers: Record<string, string> = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}/v1/index-jobs/${jobId}`, { headers });
    const body = (await res.json()) as IndexJobView;
    if (body.state === 'completed' || body.state === 'failed') return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${body.state} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
}
