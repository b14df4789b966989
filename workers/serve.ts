import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../src/api/app.js';
import { bullBoardRouter } from '../dashboard/bullBoard.js';
import { isLoopbackHost, type Config } from '../src/config/index.js';
import type { Logger } from '../src/observability/logger.js';
import { ROLES, type Role } from '../src/contracts/queues.js';
import { createRuntime, type Runtime } from './runtime.js';
import { startRoles, type StartedWorkers } from './roles.js';
import { createReadiness } from './readiness.js';
import { chooseEmbedder } from '../src/embedding/factory.js';
import { createAnswerApi } from './answers.js';
import type { Sink } from '../src/sinks/port.js';
import { startHeartbeat } from '../src/observability/heartbeat.js';

export interface Server {
  runtime: Runtime;
  url: string;
  close(): Promise<void>;
}

/** The API plus the given worker roles in one process (`codeintel serve` runs every role). */
export async function serve(
  config: Config,
  logger: Logger,
  opts: { roles?: Role[]; api?: boolean; /** extra optional sinks (tests) */ extraSinks?: Sink[] } = {},
): Promise<Server> {
  const roles = opts.roles ?? [...ROLES];
  const runtime = createRuntime(config, logger, { extraSinks: opts.extraSinks });
  let workers: StartedWorkers | null = null;
  let server: http.Server | null = null;
  let answersApi: ReturnType<typeof createAnswerApi> | null = null;
  try {
    workers = await startRoles(runtime, roles);
    let url = '';
    if (opts.api !== false) {
      answersApi = createAnswerApi(runtime);
      const app = createApiApp({
        config,
        logger,
        queues: runtime.queues,
        dashboard: bullBoardRouter(Object.values(runtime.queues), config.adminTokens),
        manifests: runtime.manifests,
        progress: runtime.progress,
        search: await runtime.search(),
        readiness: createReadiness({
          redis: runtime.redis,
          redisUrl: config.redisUrl,
          embedder: runtime.embedder,
          hashingEmbedder: chooseEmbedder(config) === 'hashing',
          sparseEncoder: runtime.sparseEncoder,
          duckdb: runtime.duckdb,
          manifests: runtime.manifests,
          optionalSinks: runtime.optionalSinks,
        }),
        metrics: () => runtime.metrics.render(),
        onRequest: (route, method, status, ms) => runtime.metrics.httpRequestMs.observe({ route, method, status: String(status) }, ms),
        extraRoutes: [answersApi.router],
      });
      server = http.createServer(app);
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, config.host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      logger.info(
        {
          url,
          auth: config.apiTokens.length ? 'bearer tokens' : 'none',
          repoRoots: config.repoRoots.length ? config.repoRoots : 'any readable absolute path',
          dashboard: `${url}/admin/queues`,
        },
        config.apiTokens.length || !isLoopbackHost(config.host)
          ? 'codeintel API listening'
          : 'codeintel API listening on loopback only (no API_TOKENS set)',
      );
    }
    const stopHeartbeat = config.heartbeatFile ? startHeartbeat(config.heartbeatFile) : null;
    return {
      runtime,
      url,
      async close() {
        await stopHeartbeat?.();
        // end open answer streams first: server.close() waits for every open connection
        await answersApi?.close();
        if (server) {
          server.closeIdleConnections?.();
          await new Promise<void>((resolve) => server!.close(() => resolve()));
          server.closeAllConnections?.();
        }
        await workers?.close();
        await runtime.close();
      },
    };
  } catch (err) {
    await workers?.close().catch(() => {});
    await answersApi?.close().catch(() => {});
    server?.close();
    await runtime.close().catch(() => {});
    throw err;
  }
}
