import type { ChannelHit } from '../contracts/search.js';

export interface FusedHit {
  chunkId: string;
  score: number;
  /** 1-based rank of this chunk in each channel that returned it */
  channels: Record<string, number>;
}

/**
 * Reciprocal rank fusion: score = Σ 1 / (k + rank). A chunk that appears
 * twice in one channel counts once, at its best rank. Ties break by the
 * best single rank, then by chunk id, so the order is deterministic.
 */
export function reciprocalRankFusion(lists: Record<string, ChannelHit[]>, k = 60): FusedHit[] {
  const fused = new Map<string, FusedHit>();
  for (const [channel, hits] of Object.entries(lists)) {
    let rank = 0;
    const seen = new Set<string>();
    for (const hit of hits) {
      if (seen.has(hit.chunkId)) continue;
      seen.add(hit.chunkId);
      rank++;
      const entry = fused.get(hit.chunkId) ?? { chunkId: hit.chunkId, score: 0, channels: {} };
      entry.score += 1 / (k + rank);
      entry.channels[channel] = rank;
      fused.set(hit.chunkId, entry);
    }
  }
  const bestRank = (h: FusedHit) => Math.min(...Object.values(h.channels));
  return [...fused.values()].sort(
    (a, b) => b.score - a.score || bestRank(a) - bestRank(b) || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0),
  );
}
