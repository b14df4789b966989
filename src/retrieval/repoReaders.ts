import path from 'node:path';
import type { ChunkCatalog } from '../catalog/chunkCatalog.js';
import { loadCatalog, type CatalogFileBuilder } from '../catalog/chunkCatalog.js';
import type { DuckDb } from '../catalog/duckdb.js';
import { referencedFiles, servingManifest, type ServingManifest, type VectorIndexRef } from '../manifest/manifest.js';
import type { ManifestStore } from '../manifest/store.js';
import type { Logger } from '../observability/logger.js';
import { LoadedVectorIndex } from '../vector/loadedIndex.js';
import type { MappedPagesBudget } from '../vector/mappedPagesBudget.js';
import type { NativeHeapTrimmer } from '../vector/nativeHeapTrimmer.js';

interface ReaderEntry {
  version: number;
  reader: Promise<RepoReader>;
  /** estimated bytes once loaded (0 while loading) */
  bytes: number;
  /** set when this version failed to load and the previous reader stands in: try again after */
  retryAt?: number;
}

/** Everything search needs for one committed version of a repo. */
export interface RepoReader {
  manifest: ServingManifest;
  catalog: ChunkCatalog;
  primary: LoadedVectorIndex | null;
  secondary: LoadedVectorIndex | null;
  deleted: Set<string>;
}

/** What a loaded reader holds in this process's heap, by its parts' own estimates. */
export function readerMemoryBytes(r: Pick<RepoReader, 'catalog' | 'primary' | 'secondary' | 'deleted'>): number {
  let deleted = 0;
  for (const id of r.deleted) deleted += id.length + 16 + 40;
  return r.catalog.memoryBytes() + (r.primary?.memoryBytes ?? 0) + (r.secondary?.memoryBytes ?? 0) + deleted;
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
      /**
       * Estimated heap bytes the open repos may hold together (readerMemoryBytes). Past it the
       * least recently searched repos are released, as for maxOpenRepos; the repo just loaded
       * always stays, however large. DuckDB's own share is bounded by its memory_limit. Default: unbounded.
       */
      memoryBudgetBytes?: number;
      /** a local directory for catalog database files (one subdirectory per repo); unset = in-memory catalogs */
      catalogDir?: string;
      /** how a missing catalog file is built (default: in this process's DuckDB) */
      buildCatalogFile?: CatalogFileBuilder;
      /** read IVF indexes with mmap */
      faissMmap?: boolean;
      /** the process's bound on the list pages mapped IVF indexes keep mapped (default: none) */
      faissMappedPages?: MappedPagesBudget;
      /** hands freed memory back to the OS (V8 garbage, then the native heap); called after each reader load (default: none) */
      trimNativeHeap?: () => void;
      /** poked on every search: trims the native heap now and then (default: none) */
      nativeHeapTrimmer?: NativeHeapTrimmer;
      /** how one version is opened (default: its catalog and FAISS files from the manifest); tests pass their own */
      open?: (repo: string, version: number) => Promise<RepoReader>;
    },
  ) {}

  async get(repo: string): Promise<RepoReader | null> {
    this.deps.nativeHeapTrimmer?.poke();
    const version = await this.deps.manifests.currentVersion(repo);
    if (version === null) return null;
    const cached = this.readers.get(repo);
    if (cached && cached.version === version && !(cached.retryAt !== undefined && Date.now() >= cached.retryAt)) {
      // most recently used last: Map keeps insertion order, so eviction takes the first
      this.readers.delete(repo);
      this.readers.set(repo, cached);
      return cached.reader;
    }
    const entry: ReaderEntry = { version, reader: Promise.resolve(null as unknown as RepoReader), bytes: 0 };
    entry.reader = (this.deps.open ?? this.load.bind(this))(repo, version).then(
      (reader) => {
        if (cached) this.retire(cached.reader);
        entry.bytes = readerMemoryBytes(reader);
        // a load leaves garbage (the parsed manifest, the ids file, DuckDB's result chunks): hand it back now
        this.deps.trimNativeHeap?.();
        if (this.readers.get(repo) === entry) this.evictBeyondLimit(entry);
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

  /** Estimated heap bytes of the open repos' loaded readers. */
  get openBytes(): number {
    let sum = 0;
    for (const e of this.readers.values()) sum += e.bytes;
    return sum;
  }

  /** Release least recently searched repos past the count or the byte budget; `keep` (just loaded) stays. */
  private evictBeyondLimit(keep?: ReaderEntry): void {
    const max = this.deps.maxOpenRepos ?? Infinity;
    const budget = this.deps.memoryBudgetBytes ?? Infinity;
    while (this.readers.size > max || (this.openBytes > budget && this.readers.size > 1)) {
      const [oldest, entry] = [...this.readers.entries()].find(([, e]) => e !== keep)!;
      this.readers.delete(oldest);
      this.retire(entry.reader);
      if (this.readers.size <= max) this.deps.logger.info({ repo: oldest, bytes: entry.bytes, budget }, 'repo reader released: the open repos are over their memory budget');
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
    const loadVectors = (ref: VectorIndexRef | null) =>
      ref ? LoadedVectorIndex.load(repoDir, ref, this.deps.faissParams, { mmap: this.deps.faissMmap, mappedPages: this.deps.faissMappedPages }) : null;
    const [catalog, primary, secondary] = await Promise.all([
      loadCatalog(this.deps.db, {
        parts: manifest.parts.map((p) => path.join(repoDir, p)),
        deletedChunkIds: manifest.deletedChunkIds,
        learnVocabulary: this.deps.learnVocabulary,
        storeDir: this.deps.catalogDir ? path.join(this.deps.catalogDir, encodeURIComponent(repo)) : undefined,
        buildFile: this.deps.buildCatalogFile,
      }),
      loadVectors(manifest.vectors.primary),
      loadVectors(manifest.vectors.secondary),
    ]);
    this.deps.logger.info(
      { repo, version, ms: Math.round(performance.now() - started), catalogMb: Math.round(catalog.memoryBytes() / 1048576), faissMb: Math.round(((primary?.memoryBytes ?? 0) + (secondary?.memoryBytes ?? 0)) / 1048576) },
      'repo reader loaded',
    );
    return { manifest: servingManifest(manifest), catalog, primary, secondary, deleted: new Set(manifest.deletedChunkIds) };
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
