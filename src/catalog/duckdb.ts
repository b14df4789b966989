import { mkdir, rm } from 'node:fs/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * One in-memory DuckDB per process, shared by the Parquet sink and the search
 * catalogs, with a small pool of connections. Tables live in the shared
 * in-memory database, so every pooled connection sees them; TEMP tables are
 * per connection and only fit work done inside one `withConnection` call.
 */
export interface DuckDb {
  /**
   * Borrow a connection for the duration of `fn`; waits when all are busy. An aborted
   * `signal` stops the wait, and interrupts the query running on the connection.
   */
  withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>, signal?: AbortSignal): Promise<T>;
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
  /** Where DuckDB spills past its memory limit; one directory per instance (DuckDB names its files alike). */
  tempDirectory?: string;
}

export async function createDuckDb(opts: DuckDbOptions = {}): Promise<DuckDb> {
  const config: Record<string, string> = {};
  if (opts.threads !== undefined) config.threads = String(opts.threads);
  if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit;
  if (opts.tempDirectory !== undefined) {
    // DuckDB creates the last level only
    await mkdir(opts.tempDirectory, { recursive: true });
    config.temp_directory = opts.tempDirectory;
  }
  const instance = await DuckDBInstance.create(':memory:', config);
  const poolSize = Math.max(1, opts.poolSize ?? 4);

  const first = await instance.connect();
  // `enable_object_cache` is a no-op "legacy setting" in DuckDB 1.5; the
  // Parquet footer cache it used to switch on is this one. Parts are immutable
  // once renamed into place, so caching their metadata is safe.
  await first.run('SET GLOBAL parquet_metadata_cache = true');

  const idle: DuckDBConnection[] = [first];
  const all: DuckDBConnection[] = [first];
  type Waiter = { resolve: (c: DuckDBConnection) => void; reject: (e: Error) => void };
  const waiters: Waiter[] = [];
  let closed = false;

  async function acquire(signal?: AbortSignal): Promise<DuckDBConnection> {
    if (closed) throw new Error('DuckDB is closed');
    signal?.throwIfAborted();
    const conn = idle.pop();
    if (conn) return conn;
    if (all.length < poolSize) {
      const fresh = await instance.connect();
      all.push(fresh);
      return fresh;
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (c) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(c);
        },
        reject,
      };
      // a caller past its budget leaves the queue instead of running late work
      const onAbort = () => {
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  function release(conn: DuckDBConnection): void {
    const next = waiters.shift();
    if (next) next.resolve(conn);
    else idle.push(conn);
  }

  return {
    async withConnection(fn, signal) {
      const conn = await acquire(signal);
      // the query stops at its next check once interrupted; DuckDB then rejects it with "INTERRUPT"
      const interrupt = () => conn.interrupt();
      signal?.addEventListener('abort', interrupt, { once: true });
      try {
        return await fn(conn);
      } finally {
        signal?.removeEventListener('abort', interrupt);
        release(conn);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new Error('DuckDB is closed'));
      for (const conn of all) conn.disconnectSync();
      instance.closeSync();
      // the spill directory is this instance's alone
      if (opts.tempDirectory !== undefined) await rm(opts.tempDirectory, { recursive: true, force: true });
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
