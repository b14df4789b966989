import { z } from 'zod';
import { int, optionalText } from './parsers.js';

/**
 * The process's DuckDB (the Parquet sink, and search catalogs): its buffer
 * manager keeps what it holds within DUCKDB_MEMORY_LIMIT_MB, paging catalog
 * files in and out and spilling large builds to DUCKDB_TEMP_DIR.
 */
export const duckdbSection = z
  .object({
    DUCKDB_MEMORY_LIMIT_MB: int(512, 64),
    /** worker threads (0 = DuckDB's choice, one per core) */
    DUCKDB_THREADS: int(0, 0, 1024),
    /** where DuckDB spills past its memory limit (default: a directory per process under the OS temp dir) */
    DUCKDB_TEMP_DIR: optionalText(),
  })
  .transform((e) => ({
    duckdb: {
      memoryLimitMb: e.DUCKDB_MEMORY_LIMIT_MB,
      threads: e.DUCKDB_THREADS === 0 ? undefined : e.DUCKDB_THREADS,
      tempDir: e.DUCKDB_TEMP_DIR,
    },
  }));
