import type { Manifest } from '../manifest/manifest.js';
import type { RepoFile } from '../repo/snapshot.js';

/** Filesystems with coarse timestamps (2 s on some) need a margin before an mtime is trusted. */
const RACY_MARGIN_MS = 2_000;

/**
 * The stat cache of a repo's previous version: a file whose size and mtime
 * are what the previous listing recorded keeps its content hash without being
 * read again. Like git's index it distrusts "racily clean" entries: a file
 * whose mtime is not clearly older than the previous listing could have been
 * rewritten within the same timestamp tick, so it is read again.
 */
export function statCache(previous: Pick<Manifest, 'files' | 'scannedAt'>): (relPath: string, size: number, mtimeMs: number) => RepoFile | undefined {
  const scanned = previous.scannedAt ? Date.parse(previous.scannedAt) : Number.NaN;
  if (!Number.isFinite(scanned)) return () => undefined;
  return (relPath, size, mtimeMs) => {
    const entry = previous.files[relPath];
    if (!entry || entry.size !== size || entry.mtimeMs !== mtimeMs) return undefined;
    if (mtimeMs >= scanned - RACY_MARGIN_MS) return undefined;
    return { path: relPath, size, hash: entry.hash, language: entry.language, mtimeMs };
  };
}
