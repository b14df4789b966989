import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { VectorIndexRef } from '../manifest/manifest.js';
import type { ChannelHit } from '../contracts/search.js';
import { FaissIndex } from './faissNative.js';

/** A FAISS index file loaded for search, with its position → chunk id map. */
export class LoadedVectorIndex {
  private constructor(
    readonly ref: VectorIndexRef,
    private readonly index: FaissIndex,
    private readonly ids: string[],
  ) {}

  static async load(repoDir: string, ref: VectorIndexRef, params: Record<string, number> = {}): Promise<LoadedVectorIndex> {
    const ids = JSON.parse(await fs.readFile(path.join(repoDir, ref.idsFile), 'utf8')) as string[];
    const index = FaissIndex.read(path.join(repoDir, ref.file));
    for (const [k, v] of Object.entries(params)) {
      try {
        index.setParam(k, v);
      } catch {
        // not every index type has every parameter (e.g. nprobe on Flat)
      }
    }
    if (index.ntotal !== ids.length) {
      index.free();
      throw new Error(`${ref.file} holds ${index.ntotal} vectors but ${ref.idsFile} names ${ids.length}`);
    }
    return new LoadedVectorIndex(ref, index, ids);
  }

  get dim(): number {
    return this.index.dim;
  }

  /** vectors in the index (deleted and repeated chunks included) */
  get size(): number {
    return this.ids.length;
  }

  async search(query: Float32Array, k: number): Promise<ChannelHit[]> {
    if (this.ids.length === 0) return [];
    const { distances, labels } = await this.index.searchAsync(query, Math.min(k, this.ids.length));
    const hits: ChannelHit[] = [];
    for (let i = 0; i < labels.length; i++) {
      const label = Number(labels[i]);
      if (label < 0) continue;
      hits.push({ chunkId: this.ids[label], score: distances[i] });
    }
    return hits;
  }

  free(): void {
    this.index.free();
  }
}
