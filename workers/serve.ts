import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../src/api/app.js';
import { bullBoardRouter } from '../dashboard/bullBoard.js';
import { isLoopbackHost, type Config } from '../src/config/index.js';
import type { Logger } from '../src/observability/logger.js';
import { ROLES, type Role } from '../src/contracts/queues.js';
import { createRuntime, type Runtime } from './runtime.js';
import { describeTarget } from '../src/queue/connection.js';
import { startRoles, type StartedWorkers } from './roles.js';
import { createReadiness } from './readiness.js';
import { chooseEmbedder } from '../src/embedding/factory.js';
import { createAnswerApi } from './answers.js';
import type { Sink } from '../src/sinks/port.js';
import { startHeartbeat } from '../src/observability/heartbeat.js';
import { createSourceView } from '../src/retrieval/sourceView.js';
import { createInProcessService } from '../src/mcp/inProcessService.js';
import { createCodeintelMcpServer } from '../src/mcp/server.js';
import { mcpEndpoint } from '../src/mcp/httpEndpoint.js';
import { VERSION } from '../src/config/version.js';

/** The API port cannot be bound: named by its variable, so the fix is obvious. */
export class PortUnavailableError extends Error {
  constructor(host: string, port: number, code: string) {
    super(
      code === 'EADDRINUSE'
        ? `PORT ${port} is already in use on ${host}; stop the other process or set PORT to a free port`
        : `PORT ${port} on ${host} may not be bound by this user (${code}); set PORT above 1023`,
    );
    this.name = 'PortUnavailableError';
  }
}

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
  let mcp: ReturnType<typeof mcpEndpoint> | null = null;
  try {
    let url = '';
    if (opts.api !== false) {
      answersApi = createAnswerApi(runtime);
      const search = await runtime.search();
      const source = createSourceView({ readers: await runtime.readers() });
      const indexDeps = { queues: runtime.queues, manifests: runtime.manifests, repoRoots: config.repoRoots, dataDir: config.dataDir, gitHosts: config.intake.gitHosts, progress: runtime.progress };
      const mcpService = createInProcessService({ search, source, manifests: runtime.manifests, index: indexDeps, answers: answersApi.answers });
      mcp = mcpEndpoint({ newServer: () => createCodeintelMcpServer(mcpService, { version: VERSION }), logger: logger.child({ component: 'mcp' }) });
      const app = createApiApp({
        config,
        logger,
        queues: runtime.queues,
        dashboard: bullBoardRouter(Object.values(runtime.queues), config.adminTokens),
        manifests: runtime.manifests,
        progress: runtime.progress,
        search,
        source,
        readiness: createReadiness({
          redis: runtime.redis,
          redisDetail: describeTarget(config.redis),
          embedder: runtime.embedder,
          hashingEmbedder: chooseEmbedder(config) === 'hashing',
          sparseEncoder: runtime.sparseEncoder,
          duckdb: runtime.duckdb,
          manifests: runtime.manifests,
          storage: { location: runtime.storageLocation, probe: runtime.probeStorage },
          optionalSinks: runtime.optionalSinks,
          queueConsumers: async () =>
            Object.fromEntries(await Promise.all(Object.entries(runtime.queues).map(async ([name, q]) => [name, await q.getWorkersCount()] as const))),
        }),
        metrics: () => runtime.metrics.render(),
        onRequest: (route, method, status, ms) => runtime.metrics.httpRequestMs.observe({ route, method, status: String(status) }, ms),
        extraRoutes: [answersApi.router, mcp.router],
      });
      // bind before any worker starts: a taken port fails at once, with nothing to undo but the runtime
      server = http.createServer(app);
      server.keepAliveTimeout = 65_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', (err: NodeJS.ErrnoException) =>
          reject(err.code === 'EADDRINUSE' || err.code === 'EACCES' ? new PortUnavailableError(config.host, config.port, err.code) : err),
        );
        server!.listen(config.port, config.host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    }
    workers = await startRoles(runtime, roles);
    logger.info(
      {
        version: VERSION,
        dataDir: config.dataDir,
        ...(config.storage.kind === 's3' ? { storage: runtime.storageLocation } : {}),
        redisPrefix: config.redisPrefix,
        consumes: Object.fromEntries(roles.map((r) => [r, `queue "${r}"`])),
        ...(url
          ? {
              url,
              mcp: `${url}/mcp`,
              auth: config.apiTokens.length ? 'bearer tokens' : 'none',
              repoRoots: config.repoRoots.length ? config.repoRoots : 'any readable absolute path',
              dashboard: `${url}/admin/queues`,
            }
          : {}),
      },
      !url
        ? `codeintel ${VERSION} workers started`
        : config.apiTokens.length || !isLoopbackHost(config.host)
          ? `codeintel ${VERSION} API listening`
          : `codeintel ${VERSION} API listening on loopback only (no API_TOKENS set)`,
    );
    const stopHeartbeat = config.heartbeatFile ? startHeartbeat(config.heartbeatFile) : null;
    return {
      runtime,
      url,
      async close() {
        await stopHeartbeat?.();
        // end open answer streams and MCP sessions first: server.close() waits for every open connection
        await answersApi?.close();
        await mcp?.close();
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
    await mcp?.close().catch(() => {});
    server?.close();
    await runtime.close().catch(() => {});
    throw err;
  }
}
