import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UnavailableError } from '../errors/unavailableError.js';
import type { Logger } from '../observability/logger.js';
import type { CatalogBuildAnswer, CatalogBuildRequest } from './catalogBuildChild.js';
import { removeBuildFiles } from './catalogFile.js';
import type { CatalogBuildSpec } from './chunkCatalog.js';

export interface ProcessCatalogBuilderOptions {
  /** DuckDB's memory_limit in the child (0 = a quarter of this host's RAM, at least 512 MB) */
  memoryLimitMb: number;
  /** DuckDB threads in the child (default: DuckDB's, one per core) */
  threads?: number;
  /** where the child's DuckDB spills; one subdirectory per build, removed after it */
  tempDir: string;
  /** a build still running after this is killed and fails */
  timeoutMs: number;
  logger?: Logger;
}

/** What a finished build reports (tests and logs). */
export interface CatalogBuildReport {
  pid: number;
  peakRssMb: number;
  ms: number;
}

/** The child's DuckDB memory limit for a setting of 0: sized by the host, since the build grows with the repo. */
export function defaultBuildMemoryLimitMb(): number {
  return Math.max(512, Math.floor(os.totalmem() / 4 / 1048576));
}

const CHILD = fileURLToPath(new URL('./catalogBuildChild.ts', import.meta.url));

/**
 * Builds catalog files in a short-lived child process (catalogBuildChild.ts,
 * this code base run by the same node), so the build's memory, which grows
 * with the corpus (the BM25F aggregation: ~1-1.3 MB per 1,000 chunks), is
 * bounded by CATALOG_BUILD_MEMORY_LIMIT_MB there and given back when it exits;
 * the query process only attaches the finished file. A failure (the child's
 * error, a crash, a kill, the timeout) rejects and leaves no file behind.
 */
export function createProcessCatalogBuilder(opts: ProcessCatalogBuilderOptions): (spec: CatalogBuildSpec) => Promise<CatalogBuildReport> {
  const memoryLimitMb = opts.memoryLimitMb > 0 ? opts.memoryLimitMb : defaultBuildMemoryLimitMb();
  // TypeScript sources run through tsx's loader, as bin/codeintel.mjs does
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return async (spec) => {
    const started = performance.now();
    const tempDirectory = path.join(opts.tempDir, `catalog-build-${randomBytes(4).toString('hex')}`);
    const request: CatalogBuildRequest = { spec, memoryLimitMb, threads: opts.threads, tempDirectory };
    const child = fork(CHILD, [], { execArgv: ['--import', loader], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      // the tail is what explains a crash
      stderr = (stderr + d).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    try {
      type Answer = Exclude<CatalogBuildAnswer, { ready: true }>;
      const outcome = await new Promise<{ answer: Answer | null; code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        let answer: Answer | null = null;
        child.on('message', (m: CatalogBuildAnswer) => {
          if ('ready' in m) child.send(request);
          else answer = m;
        });
        child.once('error', reject);
        child.once('exit', (code, signal) => resolve({ answer, code, signal }));
      });
      if (outcome.answer?.ok && outcome.code === 0) {
        const report = { pid: child.pid!, peakRssMb: outcome.answer.peakRssMb, ms: Math.round(performance.now() - started) };
        opts.logger?.info({ ...report, memoryLimitMb, parts: spec.parts.length }, 'catalog file built in a child process');
        return report;
      }
      const why = timedOut
        ? `did not finish within ${Math.round(opts.timeoutMs / 1000)} s (CATALOG_BUILD_TIMEOUT_S)`
        : outcome.answer && !outcome.answer.ok
          ? outcome.answer.message
          : `the build process exited with ${outcome.signal ?? `code ${outcome.code}`}${stderr ? `: ${stderr.trim()}` : ''}`;
      if (/Out of Memory Error/.test(why) || outcome.signal === 'SIGKILL' && !timedOut) {
        throw new UnavailableError(
          'catalog-out-of-memory',
          `building the search catalog of ${spec.parts.length} parts needs more memory than the build may use (${memoryLimitMb} MB); raise CATALOG_BUILD_MEMORY_LIMIT_MB (docs/memory.md)`,
          { parts: spec.parts.length, memoryLimitMb },
          { cause: new Error(why) },
        );
      }
      throw new UnavailableError('catalog-build-failed', `building the search catalog of ${spec.parts.length} parts failed: ${why}`, { parts: spec.parts.length });
    } catch (err) {
      await removeBuildFiles(spec.building);
      throw err;
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(tempDirectory, { recursive: true, force: true });
    }
  };
}
