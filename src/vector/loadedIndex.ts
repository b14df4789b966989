import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { VectorIndexRef } from '../manifest/manifest.js';
import type { ChannelHit } from '../contracts/search.js';
import { stringTableBuilder, type StringTable } from '../catalog/stringTable.js';
import { FaissIndex } from './faissNative.js';
import type { MappedPagesBudget } from './mappedPagesBudget.js';

/** A FAISS index file loaded for search, with its position → chunk id map. */
export class LoadedVectorIndex {
  private constructor(
    readonly ref: VectorIndexRef,
    private readonly index: FaissIndex,
    /** position (FAISS label) -> chunk id */
    private readonly ids: StringTable,
    /** estimated heap bytes: the id list, plus the index unless its lists stay in the mapped file */
    readonly memoryBytes: number,
    /** with mmap: the process's bound on mapped list pages, and what one search can map */
    private readonly mapped: { budget: MappedPagesBudget; perSearchBytes: number } | null,
  ) {}

  /**
   * `mmap`: an IVF index's inverted lists stay in its file, paged in by the
   * kernel as searches touch them (reclaimable page cache, not heap); only the
   * coarse centroids are read into memory. Flat indexes always load whole.
   * `mappedPages`: the process's bound on the list pages searches leave mapped.
   */
  static async load(
    repoDir: string,
    ref: VectorIndexRef,
    params: Record<string, number> = {},
    opts: { mmap?: boolean; mappedPages?: MappedPagesBudget } = {},
  ): Promise<LoadedVectorIndex> {
    const ids = await readIdsFile(path.join(repoDir, ref.idsFile));
    const file = path.join(repoDir, ref.file);
    const mapped = !!opts.mmap && ref.type.startsWith('IVF');
    const index = FaissIndex.read(file, { mmap: mapped });
    for (const [k, v] of Object.entries(params)) {
      try {
        index.setParam(k, v);
      } catch {
        // not every index type has every parameter (e.g. nprobe on Flat)
      }
    }
    if (index.ntotal !== ids.size) {
      index.free();
      throw new Error(`${ref.file} holds ${index.ntotal} vectors but ${ref.idsFile} names ${ids.size}`);
    }
    const fileBytes = (await fs.stat(file)).size;
    // with mmap, what stays in the heap is the quantizer: nlist centroids of dim floats
    const indexBytes = mapped ? Math.min(fileBytes, (ref.nlist ?? (Number(/^IVF(\d+)/.exec(ref.type)?.[1]) || 0)) * index.dim * 4) : fileBytes;
    const idBytes = ids.byteLength;
    // after setParam: what one search can map depends on nprobe
    const stats = opts.mappedPages ? index.mappedStats() : null;
    const mappedPages = stats && opts.mappedPages ? { budget: opts.mappedPages, perSearchBytes: stats.perSearchBytes } : null;
    return new LoadedVectorIndex(ref, index, ids, indexBytes + idBytes, mappedPages);
  }

  get dim(): number {
    return this.index.dim;
  }

  /** vectors in the index (deleted and repeated chunks included) */
  get size(): number {
    return this.ids.size;
  }

  async search(query: Float32Array, k: number): Promise<ChannelHit[]> {
    if (this.ids.size === 0) return [];
    const { distances, labels } = await this.index.searchAsync(query, Math.min(k, this.ids.size));
    this.mapped?.budget.searched(this.index, this.mapped.perSearchBytes);
    const hits: ChannelHit[] = [];
    for (let i = 0; i < labels.length; i++) {
      const label = Number(labels[i]);
      if (label < 0) continue;
      hits.push({ chunkId: this.ids.at(label), score: distances[i] });
    }
    return hits;
  }

  free(): void {
    this.mapped?.budget.forget(this.index);
    this.index.free();
  }
}

/**
 * The ids file (a JSON array of strings) into a table, without a JS string per
 * id kept: plain ids (no escapes) are sliced out of the text one at a time.
 */
async function readIdsFile(file: string): Promise<StringTable> {
  const text = await fs.readFile(file, 'utf8');
  const table = stringTableBuilder({ expected: Math.floor(text.length / 35) });
  if (text.includes('\\')) {
    for (const id of JSON.parse(text) as string[]) table.push(id);
    return table.finish();
  }
  const open = text.indexOf('[');
  if (open < 0 || text.lastIndexOf(']') < open) throw new Error(`${file} is not a JSON array of ids`);
  for (let at = text.indexOf('"', open); at >= 0; ) {
    const end = text.indexOf('"', at + 1);
    if (end < 0) throw new Error(`${file} is not a JSON array of ids`);
    table.push(text.slice(at + 1, end));
    at = text.indexOf('"', end + 1);
  }
  return table.finish();
}
