/**
 * The entry of a catalog build child process (catalogBuildProcess.ts starts
 * it): one DuckDB with its own memory limit builds one catalog file, then the
 * process exits, returning every byte the build used to the OS. The spec
 * comes over the IPC channel (a large repo's part list is too long for argv);
 * the answer goes back the same way. A parent that goes away ends the build.
 */
import { buildCatalogFileOn, type CatalogBuildSpec } from './chunkCatalog.js';
import { createDuckDb } from './duckdb.js';

/** What the parent sends. */
export interface CatalogBuildRequest {
  spec: CatalogBuildSpec;
  memoryLimitMb: number;
  threads?: number;
  tempDirectory: string;
}

/** What the child says: that it listens (a message sent to an ES module child before that is lost), then its answer before it exits. */
export type CatalogBuildAnswer = { ready: true } | { ok: true; peakRssMb: number } | { ok: false; message: string };

function answer(a: CatalogBuildAnswer): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(a, () => resolve());
  });
}

process.once('disconnect', () => process.exit(2));
process.once('message', (req: CatalogBuildRequest) => {
  void (async () => {
    let code = 0;
    try {
      const db = await createDuckDb({ poolSize: 1, memoryLimit: `${req.memoryLimitMb}MB`, threads: req.threads, tempDirectory: req.tempDirectory });
      try {
        await db.withConnection((conn) => buildCatalogFileOn(conn, req.spec));
      } finally {
        await db.close();
      }
      // maxRSS is in kilobytes
      await answer({ ok: true, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
    } catch (err) {
      code = 1;
      await answer({ ok: false, message: (err as Error).message });
    }
    process.disconnect();
    process.exit(code);
  })();
});
void answer({ ready: true });
