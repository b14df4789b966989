import { readFile } from 'node:fs/promises';
import type { DuckDb } from '../src/catalog/duckdb.js';
import type { Logger } from '../src/observability/logger.js';

/**
 * At LOG_LEVEL=debug, where this process's memory is, every `intervalMs`: its
 * resident set (anonymous and file-backed, and the peak), V8's heap and
 * ArrayBuffers (the catalogs' string tables), and what DuckDB's buffer manager
 * holds (duckdb_memory(), once DuckDB is open). The parts docs/memory.md bounds.
 */
export function startMemoryReport(opts: { logger: Logger; duckdb: () => Promise<DuckDb> | null; intervalMs?: number }): () => void {
  if (!opts.logger.isLevelEnabled('debug')) return () => {};
  const mb = (bytes: number) => Math.round(bytes / 1048576);
  const report = async () => {
    const status = await readFile('/proc/self/status', 'utf8');
    const kb = (key: string) => mb(Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024);
    const m = process.memoryUsage();
    let duckdbMb: Record<string, number> | null = null;
    const db = await opts.duckdb()?.catch(() => null);
    if (db) {
      const rows = await db.withConnection(async (conn) => (await conn.runAndReadAll('SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0')).getRowsJS());
      duckdbMb = Object.fromEntries(rows.map(([tag, bytes]) => [String(tag), mb(Number(bytes))]));
    }
    opts.logger.debug(
      {
        rssMb: { now: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), peak: kb('VmHWM') },
        v8Mb: { heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) },
        duckdbMb,
      },
      'memory',
    );
  };
  const timer = setInterval(() => void report().catch(() => {}), opts.intervalMs ?? 10_000);
  timer.unref();
  return () => clearInterval(timer);
}
