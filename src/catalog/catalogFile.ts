import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Where a catalog's DuckDB database file lives on local disk. The file is
 * named by what it was built from (the parts, their sizes, the deleted ids,
 * the build options, the scoring constants baked into postings and the table
 * layout), so a process that restarts, or a second query process on the same
 * disk, opens the file another one built instead of building it again, and a
 * new version (or new scoring constants) never opens a stale one.
 */
export interface CatalogFilePlan {
  /** the finished file (exists once some process built it) */
  file: string;
  /** a private name to build into, renamed to `file` when complete */
  building: string;
}

/** Bump when the tables a catalog file holds change shape: old files are then built again. */
export const CATALOG_FILE_FORMAT = 1;

export async function planCatalogFile(
  dir: string,
  build: { parts: string[]; deletedChunkIds: string[]; learnVocabulary: boolean; /** what the tables' precomputed values depend on (BM25F weights, k1, b, roles) */ scoring: unknown },
): Promise<CatalogFilePlan> {
  const h = createHash('sha256').update(JSON.stringify({ format: CATALOG_FILE_FORMAT, learn: build.learnVocabulary, scoring: build.scoring }));
  // part names carry their run and batch and are never rewritten in place; the size guards against a reused name
  for (const part of build.parts) h.update(`\0${part}\0${(await fs.stat(part)).size}`);
  for (const id of [...build.deletedChunkIds].sort()) h.update(`\0-${id}`);
  const key = h.digest('hex').slice(0, 32);
  await fs.mkdir(dir, { recursive: true });
  return {
    file: path.join(dir, `${key}.duckdb`),
    building: path.join(dir, `${key}.${randomBytes(4).toString('hex')}.building`),
  };
}

const ABANDONED_BUILD_MS = 60 * 60_000;

/**
 * Remove the other catalog files of a repo once `keep` serves: older versions'
 * files (a process still reading one keeps its open handle; the inode goes
 * when it closes), and builds abandoned by a crashed process over an hour ago.
 */
export async function removeStaleCatalogFiles(dir: string, keep: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const full = path.join(dir, name);
    if (full === keep) continue;
    if (name.endsWith('.duckdb') || name.endsWith('.duckdb.wal')) {
      await fs.rm(full, { force: true });
      removed.push(full);
    } else if (/\.building(\.scratch)?(\.wal)?$/.test(name)) {
      const stat = await fs.stat(full).catch(() => null);
      if (stat && Date.now() - stat.mtimeMs > ABANDONED_BUILD_MS) {
        await fs.rm(full, { force: true });
        removed.push(full);
      }
    }
  }
  return removed;
}

/** A failed or abandoned build's files: the private database, its WAL and its scratch database. */
export async function removeBuildFiles(building: string): Promise<void> {
  for (const f of [building, `${building}.wal`, `${building}.scratch`, `${building}.scratch.wal`]) await fs.rm(f, { force: true });
}

export async function fileExists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
