import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * One in-memory DuckDB per process, shared by the Parquet sink and the search
 * catalogs, with a small pool of connections. Tables live in the shared
 * in-memory database, so every pooled connection sees them; TEMP tables are
 * per connection and only fit work done inside one `withConnection` call.
 */
export interface DuckDb {
  /** Borrow a connection for the duration of `fn`; waits when all are busy. */
  withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Disconnect everything (call once in-flight work is done); later calls reject. */
  close(): Promise<void>;
}

export interface DuckDbOptions {
  /** DuckDB worker threads (default: DuckDB's own choice, one per core). */
  threads?: number;
  /** e.g. "1GB" (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
  /** Connections kept open at most (default 4). */
  poolSize?: number;
}

export async function createDuckDb(opts: DuckDbOptions = {}): Promise<DuckDb> {
  const config: Record<string, string> = {};
  if (opts.threads !== undefined) config.threads = String(opts.threads);
  if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit;
  const instance = await DuckDBInstance.create(':memory:', config);
  const poolSize = Math.max(1, opts.poolSize ?? 4);

  const first = await instance.connect();
  // `enable_object_cache` is a no-op "legacy setting" in DuckDB 1.5; the
  // Parquet footer cache it used to switch on is this one. Parts are immutable
  // once renamed into place, so caching their metadata is safe.
  await first.run('SET GLOBAL parquet_metadata_cache = true');

  const idle: DuckDBConnection[] = [first];
  const all: DuckDBConnection[] = [first];
  const waiters: Array<{ resolve: (c: DuckDBConnection) => void; reject: (e: Error) => void }> = [];
  let closed = false;

  async function acquire(): Promise<DuckDBConnection> {
    if (closed) throw new Error('DuckDB is closed');
    const conn = idle.pop();
    if (conn) return conn;
    if (all.length < poolSize) {
      const fresh = await instance.connect();
      all.push(fresh);
      return fresh;
    }
    return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
  }

  function release(conn: DuckDBConnection): void {
    const next = waiters.shift();
    if (next) next.resolve(conn);
    else idle.push(conn);
  }

  return {
    async withConnection(fn) {
      const conn = await acquire();
      try {
        return await fn(conn);
      } finally {
        release(conn);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new Error('DuckDB is closed'));
      for (const conn of all) conn.disconnectSync();
      instance.closeSync();
    },
  };
}

/**
 * A SQL string literal. Only for the few places DuckDB takes no parameter
 * (COPY targets and options); every other value goes in as a parameter.
 */
export function sqlString(s: string): string {
  if (s.includes('\0')) throw new Error('NUL byte in SQL string literal');
  return `'${s.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier, for table names the code itself generates. */
export function sqlIdent(s: string): string {
  if (s.includes('\0')) throw new Error('NUL byte in SQL identifier');
  return `"${s.replaceAll('"', '""')}"`;
}
