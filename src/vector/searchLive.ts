import type { ChannelHit } from '../contracts/search.js';

export interface SearchableIndex {
  /** vectors in the index */
  readonly size: number;
  search(query: Float32Array, k: number): Promise<ChannelHit[]>;
}

/**
 * The `want` best live chunks of one index. Deleted chunks stay in FAISS until
 * compaction and a chunk written again sits there twice, so a plain top-k can
 * come back short; this asks again for four times as many until it has
 * `want` distinct live ids or has seen the whole index.
 */
export async function searchLive(index: SearchableIndex, query: Float32Array, want: number, isDead: (chunkId: string) => boolean): Promise<ChannelHit[]> {
  if (index.size === 0 || want <= 0) return [];
  let k = Math.min(index.size, want);
  for (;;) {
    const hits = await index.search(query, k);
    const seen = new Set<string>();
    const live: ChannelHit[] = [];
    for (const h of hits) {
      if (isDead(h.chunkId) || seen.has(h.chunkId)) continue;
      seen.add(h.chunkId);
      live.push(h);
    }
    if (live.length >= want || k >= index.size) return live.slice(0, want);
    k = Math.min(index.size, k * 4);
  }
}
