import express, { type Express, type Request, type Response, type NextFunction, type Router } from 'express';
import type { JobQueues } from '../queue/producer.js';
import type { Config } from '../config/index.js';
import type { ManifestStore } from '../manifest/store.js';
import type { Logger } from '../observability/logger.js';
import type { Readiness } from '../observability/readiness.js';
import type { RunProgress } from '../queue/runProgress.js';
import type { SearchService } from '../retrieval/searchService.js';
import type { SourceView } from '../retrieval/sourceView.js';
import { bearerAuth } from './auth.js';
import { originGuard } from './originGuard.js';
import { problem, sendProblem } from './problem.js';
import { problemErrorHandler } from './errorHandler.js';
import { healthRoutes } from './routes/health.js';
import { indexJobRoutes } from './routes/indexJobs.js';
import { repoRoutes } from './routes/repos.js';
import { compactRoutes } from './routes/compact.js';
import { searchRoutes } from './routes/search.js';
import { sourceRoutes } from './routes/source.js';

export interface ApiDeps {
  config: Config;
  logger: Logger;
  /** the index queue: index runs and compactions are added and read there */
  queues: JobQueues<'index'>;
  manifests: ManifestStore;
  progress: RunProgress;
  search: SearchService;
  /** the indexed snapshot read back: line ranges and symbol definitions */
  source: SourceView;
  readiness: () => Promise<Readiness>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** routes added by later features (answers, /mcp) */
  extraRoutes?: Router[];
  /** the operator dashboard (Bull Board), mounted by the composition root after the API routes */
  dashboard?: Router;
  /** called with each request's duration, for metrics */
  onRequest?: (route: string, method: string, status: number, ms: number) => void;
}

/** The HTTP API: the routes of API.md, RFC 9457 errors everywhere, bearer auth when tokens are set. */
export function createApiApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const t0 = performance.now();
    res.on('finish', () => {
      const ms = performance.now() - t0;
      const route = (req.route?.path as string | undefined) ?? (req.path.startsWith('/admin/queues') ? '/admin/queues' : 'unmatched');
      deps.onRequest?.(route, req.method, res.statusCode, ms);
      if (res.statusCode >= 500) deps.logger.warn({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms) }, 'request failed');
      else deps.logger.debug({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms) }, 'request');
    });
    next();
  });
  // Host and Origin first: a DNS-rebinding page must not even learn whether a token is needed
  app.use(originGuard({ authenticated: deps.config.apiTokens.length + deps.config.adminTokens.length > 0 }));
  app.use(bearerAuth(deps.config.apiTokens, deps.config.adminTokens));
  // JSON bodies only; anything else on a body-carrying route is a 415
  app.use((req: Request, res: Response, next: NextFunction) => {
    // a request carries a body when it says how long it is (and that is not 0) or is chunked
    const length = req.headers['content-length'];
    const hasBody = (length !== undefined && Number(length) > 0) || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && req.path.startsWith('/v1/') && !req.is('application/json')) {
      return sendProblem(res, { ...problem(415, 'unsupported-media-type', 'send the body as application/json'), instance: req.originalUrl });
    }
    next();
  });
  app.use(express.json({ limit: deps.config.maxBodyBytes, strict: true }));
  app.use(healthRoutes(deps));
  app.use(indexJobRoutes({ queues: deps.queues, manifests: deps.manifests, repoRoots: deps.config.repoRoots, dataDir: deps.config.dataDir, gitHosts: deps.config.intake.gitHosts, progress: deps.progress }));
  app.use(repoRoutes(deps));
  app.use(compactRoutes({ queues: deps.queues, manifests: deps.manifests }));
  app.use(searchRoutes(deps));
  app.use(sourceRoutes(deps));
  for (const r of deps.extraRoutes ?? []) app.use(r);
  if (deps.dashboard) app.use(deps.dashboard);
  app.use((req: Request, res: Response) => {
    sendProblem(res, { ...problem(404, 'not-found', `no route for ${req.method} ${req.path}`), instance: req.originalUrl });
  });
  app.use(problemErrorHandler(deps.logger));
  return app;
}
