/**
 * Typed front for the project's own FAISS addon (native/faiss, over Debian's
 * libfaiss). Unlike faiss-node it takes Float32Array/BigInt64Array, supports
 * add_with_ids/remove_ids and search-time parameters (nprobe, efSearch).
 *
 * The addon is loaded on first use, so importing this module never fails on a
 * machine where it has not been built yet.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export type Metric = 'ip' | 'l2';

/** Row-major n×k results; a label of -1n means "no neighbour" (k > ntotal). */
export interface SearchResult {
  distances: Float32Array;
  labels: BigInt64Array;
}

/** What the compiled addon exposes (see native/faiss/faiss_addon.cc). */
interface NativeIndex {
  readonly dim: number;
  readonly ntotal: number;
  readonly isTrained: boolean;
  write(path: string): void;
  train(vectors: Float32Array): void;
  add(vectors: Float32Array): void;
  addWithIds(vectors: Float32Array, ids: BigInt64Array): void;
  removeIds(ids: BigInt64Array): number;
  setParam(name: string, value: number): void;
  search(queries: Float32Array, k: number): SearchResult;
  searchAsync(queries: Float32Array, k: number): Promise<SearchResult>;
  reconstruct(id: bigint | number): Float32Array;
  free(): void;
  releaseMapped(): void;
  mappedStats(): MappedStats | null;
}

/** An IVF index read with mmap: its mapped inverted lists. */
export interface MappedStats {
  /** the mapping's size (the whole file) */
  mappedBytes: number;
  /** what one query can leave mapped at most: the nprobe largest lists, rounded out to the kernel's 64 KiB fault-around windows */
  perSearchBytes: number;
  /** releaseMapped() calls that unmapped pages */
  drops: number;
}

interface FaissAddon {
  FaissIndex: {
    create(dim: number, factory: string, metric: Metric): NativeIndex;
    read(path: string, mmap?: boolean): NativeIndex;
  };
  /** libfaiss version the addon was compiled against, e.g. "1.7.3". */
  faissVersion: string;
  mallocTrim(): boolean;
  mallocTrimAsync(): Promise<boolean>;
}

export const FAISS_ADDON_PATH = fileURLToPath(
  new URL('../../native/faiss/build/Release/codeintel_faiss.node', import.meta.url),
);

const require = createRequire(import.meta.url);

/** Loads the addon (Node caches it after the first call). */
export function loadFaissAddon(): FaissAddon {
  if (!existsSync(FAISS_ADDON_PATH)) {
    throw new Error(
      `FAISS native addon is not built (${FAISS_ADDON_PATH} is missing); run npm run setup ` +
        '(or: node scripts/build-native.mjs)',
    );
  }
  try {
    return require(FAISS_ADDON_PATH) as FaissAddon;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`failed to load FAISS native addon ${FAISS_ADDON_PATH}: ${reason}; run npm run setup to rebuild it`, {
      cause: err,
    });
  }
}

/**
 * One FAISS index. All inputs are flat row-major buffers of n*dim floats.
 * Mutations (train/add/remove/setParam) are synchronous; searchAsync runs on
 * the libuv pool. Call free() to release native memory before GC would.
 */
export class FaissIndex {
  private constructor(private readonly native: NativeIndex) {}

  /**
   * factory as in faiss::index_factory: "Flat", "IDMap2,Flat", "IVF1024,Flat", "IVF1024,PQ48np", "HNSW32", ...
   * Write PQ as "PQ48np": plain "PQ48" also runs polysemous training, which takes minutes
   * and only helps polysemous (Hamming) search, which we do not use.
   */
  static create(dim: number, factory: string, metric: Metric): FaissIndex {
    return new FaissIndex(loadFaissAddon().FaissIndex.create(dim, factory, metric));
  }

  /**
   * faiss::read_index. `mmap` (IO_FLAG_MMAP) leaves an IVF index's inverted
   * lists in the file, paged in as searches touch them; the index is then read-only.
   */
  static read(path: string, opts: { mmap?: boolean } = {}): FaissIndex {
    return new FaissIndex(loadFaissAddon().FaissIndex.read(path, opts.mmap ?? false));
  }

  get dim(): number {
    return this.native.dim;
  }

  get ntotal(): number {
    return this.native.ntotal;
  }

  get isTrained(): boolean {
    return this.native.isTrained;
  }

  /** faiss::write_index straight to `path`; the caller does temp-file + rename. */
  write(path: string): void {
    this.native.write(path);
  }

  train(vectors: Float32Array): void {
    this.native.train(vectors);
  }

  /** Sequential ids (ntotal, ntotal+1, ...); IDMap indexes require addWithIds. */
  add(vectors: Float32Array): void {
    this.native.add(vectors);
  }

  /** Needs an index that stores ids: "IDMap2,..." or IVF. */
  addWithIds(vectors: Float32Array, ids: BigInt64Array): void {
    this.native.addWithIds(vectors, ids);
  }

  /** Returns how many vectors were removed (unknown ids are ignored). */
  removeIds(ids: BigInt64Array): number {
    return this.native.removeIds(ids);
  }

  /** faiss::ParameterSpace::set_index_parameter, e.g. ("nprobe", 32) or ("efSearch", 128). */
  setParam(name: string, value: number): void {
    this.native.setParam(name, value);
  }

  search(queries: Float32Array, k: number): SearchResult {
    return this.native.search(queries, k);
  }

  /** Same as search but off the event loop; queries are copied, so the buffer may be reused at once. */
  async searchAsync(queries: Float32Array, k: number): Promise<SearchResult> {
    // async: argument errors surface as rejections, like search failures do.
    return this.native.searchAsync(queries, k);
  }

  /** The stored vector for an id (Flat, IDMap2 and HNSW indexes; IVF needs a direct map). */
  reconstruct(id: bigint | number): Float32Array {
    return this.native.reconstruct(id);
  }

  /**
   * An IVF index read with mmap: unmap the lists' pages searches touched
   * (madvise MADV_DONTNEED), so they stop counting in this process's RSS. They
   * stay in the page cache: a later search maps them again without a read.
   * Safe while searches run. No effect on an index held in memory.
   */
  releaseMapped(): void {
    this.native.releaseMapped();
  }

  /** The mapped lists of an index read with mmap (at the current nprobe); null when it is held in memory. */
  mappedStats(): MappedStats | null {
    return this.native.mappedStats();
  }

  /** Releases native memory now; any later call throws. Running searchAsync calls still finish. */
  free(): void {
    this.native.free();
  }
}

/**
 * Give the native heap's free pages back to the OS (glibc malloc_trim): after
 * a large transient allocation, such as loading a 1M-chunk catalog through
 * DuckDB, glibc keeps ~170 MB of freed memory in its arenas. True when some
 * was released. It lives in this addon because it is the project's native code.
 */
export function trimNativeHeap(): boolean {
  return loadFaissAddon().mallocTrim();
}

/** trimNativeHeap on the libuv pool, off the event loop. */
export function trimNativeHeapAsync(): Promise<boolean> {
  return loadFaissAddon().mallocTrimAsync();
}

/** Version of libfaiss the addon was compiled against. */
export function faissVersion(): string {
  return loadFaissAddon().faissVersion;
}
