import { buildCli, config } from '../src/cli/main.js';
import type { Role } from '../src/contracts/queues.js';
import { createLogger } from '../src/observability/logger.js';
import { CodeintelError } from '../src/errors/codeintelError.js';

/**
 * The process entrypoint (bin/codeintel.mjs): the CLI, with `serve` and
 * `worker` wired to this composition root.
 */

/** Run the API and workers in this process until SIGINT/SIGTERM. */
export async function runServer(roles: Role[], api: boolean) {
  const cfg = config();
  const logger = createLogger({ level: cfg.logLevel });
  // loaded only now: client commands stay light, and `worker --gpu N` has pinned the device before CUDA libraries load
  const { serve } = await import('./serve.js');
  const { requireGpuOrExit } = await import('../src/gpu/enforce.js');
  if (roles.includes('gpu')) await requireGpuOrExit(cfg, logger);
  // past a file-size limit (RLIMIT_FSIZE) the kernel sends SIGXFSZ, which by default kills the
  // process mid-job; handled, the write fails with EFBIG and the job fails with a message instead
  process.on('SIGXFSZ', () => logger.warn('a write went past the file-size limit (RLIMIT_FSIZE); the job writing it fails'));
  let server;
  try {
    server = await serve(cfg, logger, { roles, api });
  } catch (err) {
    // a taken port or a refusal to start (another deployment on this REDIS_PREFIX, ...) is an
    // operator's fix, not a crash: one line, not a stack
    if (!(err instanceof CodeintelError) && (err as Error)?.name !== 'PortUnavailableError') throw err;
    logger.flush?.();
    process.stderr.write(`${(err as Error).name === 'PortUnavailableError' ? 'error' : 'codeintel'}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing active jobs');
    const force = setTimeout(() => process.exit(1), 30_000).unref();
    await server.close().catch((err: unknown) => logger.error({ err }, 'error during shutdown'));
    clearTimeout(force);
    logger.flush?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (server.url) process.stdout.write(`codeintel is serving at ${server.url} (dashboard: ${server.url}/admin/queues)\n`);
}


export async function main(argv = process.argv) {
  await buildCli(runServer).parseAsync(argv);
}
