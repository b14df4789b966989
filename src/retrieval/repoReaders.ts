import path from 'node:path';
import type { ChunkCatalog } from '../catalog/chunkCatalog.js';
import { loadCatalog } from '../catalog/chunkCatalog.js';
import type { DuckDb } from '../catalog/duckdb.js';
import { referencedFiles, type Manifest } from '../manifest/manifest.js';
import type { ManifestStore } from '../manifest/store.js';
import type { Logger } from '../observability/logger.js';
import { LoadedVectorIndex } from '../vector/loadedIndex.js';

interface ReaderEntry {
  version: number;
  reader: Promise<RepoReader>;
  /** set when this version failed to load and the previous reader stands in: try again after */
  retryAt?: number;
}

/** Everything search needs for one committed version of a repo. */
export interface RepoReader {
  manifest: Manifest;
  catalog: ChunkCatalog;
  primary: LoadedVectorIndex | null;
  secondary: LoadedVectorIndex | null;
  deleted: Set<string>;
}

/**
 * Per-process cache of repo readers, keyed by repo and manifest version.
 * Each call checks CURRENT; a new version is loaded beside the old one and
 * swapped in when ready, so readers pick up commits without a restart and
 * never see a half-built index. The old reader is released after a grace
 * period so in-flight searches finish on it.
 */
export class RepoReaders {
  private readonly readers = new Map<string, ReaderEntry>();
  /** superseded readers waiting out their grace period */
  private readonly retiring = new Map<Promise<RepoReader>, NodeJS.Timeout>();

  constructor(
    private readonly deps: {
      manifests: ManifestStore;
      db: DuckDb;
      logger: Logger;
      faissParams?: Record<string, number>;
      /** learn each repo's doc-comment vocabulary at load (for QUERY_REPO_VOCABULARY_WEIGHT) */
      learnVocabulary?: boolean;
      releaseAfterMs?: number;
      /** after a version failed to load, how long the previous one serves before it is tried again */
      retryFailedAfterMs?: number;
      /**
       * Repos kept open at most (index files mapped, catalog tables in DuckDB). Past it the
       * least recently searched repo is released (after the grace period, for searches still on it)
       * and loaded again when next searched. Default: unbounded.
       */
      maxOpenRepos?: number;
    },
  ) {}

  async get(repo: string): Promise<RepoReader | null> {
    const version = await this.deps.manifests.currentVersion(repo);
    if (version === null) return null;
    const cached = this.readers.get(repo);
    if (cached && cached.version === version && !(cached.retryAt !== undefined && Date.now() >= cached.retryAt)) {
      // most recently used last: Map keeps insertion order, so eviction takes the first
      this.readers.delete(repo);
      this.readers.set(repo, cached);
      return cached.reader;
    }
    const entry: ReaderEntry = { version, reader: Promise.resolve(null as unknown as RepoReader) };
    entry.reader = this.load(repo, version).then(
      (reader) => {
        if (cached) this.retire(cached.reader);
        return reader;
      },
      async (err: Error) => {
        // a version whose files cannot be loaded: the previous one keeps serving, and is retried later
        const previous = cached ? await cached.reader.catch(() => null) : null;
        if (!previous) {
          if (this.readers.get(repo) === entry) this.readers.delete(repo);
          throw err;
        }
        entry.retryAt = Date.now() + (this.deps.retryFailedAfterMs ?? 10_000);
        this.deps.logger.error(
          { repo, version, serving: previous.manifest.version, err },
          'a new index version failed to load; the previous version keeps serving',
        );
        return previous;
      },
    );
    this.readers.delete(repo);
    this.readers.set(repo, entry);
    this.evictBeyondLimit();
    return entry.reader;
  }

  /** Repos held open now (for tests and metrics). */
  get openRepos(): string[] {
    return [...this.readers.keys()];
  }

  private evictBeyondLimit(): void {
    const max = this.deps.maxOpenRepos ?? Infinity;
    while (this.readers.size > max) {
      const [oldest, entry] = this.readers.entries().next().value as [string, ReaderEntry];
      this.readers.delete(oldest);
      this.retire(entry.reader);
    }
  }

  private retire(old: Promise<RepoReader>): void {
    if (this.retiring.has(old)) return;
    const timer = setTimeout(() => {
      this.retiring.delete(old);
      void old.then(release, () => {});
    }, this.deps.releaseAfterMs ?? 30_000);
    timer.unref();
    this.retiring.set(old, timer);
  }

  private async load(repo: string, version: number): Promise<RepoReader> {
    const started = performance.now();
    const manifest = await this.deps.manifests.read(repo, version);
    // local files at repoDir/<name>: the store's own (directory backend) or copies in the bounded cache (object store)
    await this.deps.manifests.materialize(repo, referencedFiles(manifest));
    const repoDir = this.deps.manifests.repoDir(repo);
    const [catalog, primary, secondary] = await Promise.all([
      loadCatalog(this.deps.db, { parts: manifest.parts.map((p) => path.join(repoDir, p)), deletedChunkIds: manifest.deletedChunkIds, learnVocabulary: this.deps.learnVocabulary }),
      manifest.vectors.primary ? LoadedVectorIndex.load(repoDir, manifest.vectors.primary, this.deps.faissParams) : null,
      manifest.vectors.secondary ? LoadedVectorIndex.load(repoDir, manifest.vectors.secondary, this.deps.faissParams) : null,
    ]);
    this.deps.logger.info({ repo, version, ms: Math.round(performance.now() - started) }, 'repo reader loaded');
    return { manifest, catalog, primary, secondary, deleted: new Set(manifest.deletedChunkIds) };
  }

  async close(): Promise<void> {
    const all = [...this.readers.values()].map((r) => r.reader);
    for (const [old, timer] of this.retiring) {
      clearTimeout(timer);
      all.push(old);
    }
    this.readers.clear();
    this.retiring.clear();
    await Promise.all(all.map((r) => r.then(release, () => {})));
  }
}

async function release(r: RepoReader): Promise<void> {
  r.primary?.free();
  r.secondary?.free();
  await r.catalog.dispose().catch(() => {});
}
