import type { ChannelHit } from '../contracts/search.js';

export interface FusedHit {
  chunkId: string;
  score: number;
  /** 1-based rank of this chunk in each channel that returned it */
  channels: Record<string, number>;
  /** what each channel added to `score`: weight / (k + rank) */
  contributions: Record<string, number>;
}

/**
 * Weighted reciprocal rank fusion: score = Σ weight_c / (k + rank_c). A
 * channel without a weight counts 1; a weight of 0 keeps the channel's ranks
 * visible in `channels` without letting it move the order. A chunk that
 * appears twice in one channel counts once, at its best rank. Ties break by
 * the best single rank, then by chunk id, so the order is deterministic.
 */
export function reciprocalRankFusion(lists: Record<string, ChannelHit[]>, k = 60, weights: Record<string, number> = {}): FusedHit[] {
  const fused = new Map<string, FusedHit>();
  for (const [channel, hits] of Object.entries(lists)) {
    const weight = weights[channel] ?? 1;
    let rank = 0;
    const seen = new Set<string>();
    for (const hit of hits) {
      if (seen.has(hit.chunkId)) continue;
      seen.add(hit.chunkId);
      rank++;
      const entry = fused.get(hit.chunkId) ?? { chunkId: hit.chunkId, score: 0, channels: {}, contributions: {} };
      const part = weight / (k + rank);
      entry.score += part;
      entry.channels[channel] = rank;
      entry.contributions[channel] = part;
      fused.set(hit.chunkId, entry);
    }
  }
  const bestRank = (h: FusedHit) => Math.min(...Object.entries(h.channels).map(([c, r]) => ((weights[c] ?? 1) > 0 ? r : Infinity)));
  return [...fused.values()].sort(
    (a, b) => b.score - a.score || bestRank(a) - bestRank(b) || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0),
  );
}
