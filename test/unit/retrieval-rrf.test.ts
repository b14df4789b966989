import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from '../../src/retrieval/rrf.js';

const list = (...ids: string[]) => ids.map((chunkId, i) => ({ chunkId, score: 100 - i }));

describe('reciprocal rank fusion (k = 60)', () => {
  it('scores each chunk Σ 1/(k + rank) over the channels that returned it, and records its rank per channel', () => {
    const fused = reciprocalRankFusion({ dense: list('a', 'b', 'c'), bm25: list('b', 'd') }, 60);
    expect(fused.map((f) => f.chunkId)).toEqual(['b', 'a', 'd', 'c']);
    const b = fused[0];
    expect(b.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(b.channels).toEqual({ dense: 2, bm25: 1 });
    expect(fused.find((f) => f.chunkId === 'c')!.channels).toEqual({ dense: 3 });
  });

  it('breaks exact ties by the best single rank, then by chunk id, so the order never depends on input order', () => {
    // x and y both sit at rank 1 in one channel: same score, same best rank -> chunk id decides
    const one = reciprocalRankFusion({ dense: list('y'), bm25: list('x') });
    const two = reciprocalRankFusion({ bm25: list('x'), dense: list('y') });
    expect(one.map((f) => f.chunkId)).toEqual(['x', 'y']);
    expect(two.map((f) => f.chunkId)).toEqual(['x', 'y']);

    // p and q sit at ranks 2 and 3 in opposite lists: equal scores, equal best rank -> chunk id decides
    const tie = reciprocalRankFusion({ dense: list('z', 'q', 'p'), bm25: list('z', 'p', 'q') });
    expect(tie[1].score).toBeCloseTo(tie[2].score, 12);
    expect(tie.slice(1).map((f) => f.chunkId)).toEqual(['p', 'q']);
  });

  it('prefers the chunk with the better best rank when scores tie but ranks differ', () => {
    // with k = 0: a at rank 1 in one channel scores 1; b at rank 2 in two channels scores 1/2 + 1/2 = 1
    const fused = reciprocalRankFusion({ one: list('a', 'b'), two: list('c', 'b') }, 0);
    const a = fused.find((f) => f.chunkId === 'a')!;
    const b = fused.find((f) => f.chunkId === 'b')!;
    expect(a.score).toBe(b.score);
    expect(fused.indexOf(a)).toBeLessThan(fused.indexOf(b));
  });

  it('works with missing and empty channels: only what arrived is fused', () => {
    expect(reciprocalRankFusion({})).toEqual([]);
    expect(reciprocalRankFusion({ dense: [], bm25: [] })).toEqual([]);
    const onlyBm25 = reciprocalRankFusion({ bm25: list('m', 'n') });
    expect(onlyBm25.map((f) => [f.chunkId, f.channels])).toEqual([
      ['m', { bm25: 1 }],
      ['n', { bm25: 2 }],
    ]);
  });

  it('collapses duplicates within a channel to their best rank, and later ranks close up', () => {
    const fused = reciprocalRankFusion({ dense: list('a', 'a', 'b') });
    expect(fused.map((f) => [f.chunkId, f.channels.dense])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(fused[0].score).toBeCloseTo(1 / 61, 12);
  });

  it('weighs each channel: a low-weight channel cannot lift its top hit over the strong channel\'s second', () => {
    const lists = { bm25: list('a', 'b'), dense: list('b', 'c') };
    expect(reciprocalRankFusion(lists, 60).map((f) => f.chunkId)).toEqual(['b', 'a', 'c']);
    const weighted = reciprocalRankFusion(lists, 60, { bm25: 1, dense: 0.01 });
    expect(weighted.map((f) => f.chunkId)).toEqual(['a', 'b', 'c']);
    expect(weighted[1].contributions).toEqual({ bm25: 1 / 62, dense: 0.01 / 61 });
  });

  it('with weight 0, keeps a channel\'s ranks visible but never lets it move the order', () => {
    const fused = reciprocalRankFusion({ bm25: list('a', 'b'), dense: list('b', 'a') }, 60, { dense: 0 });
    expect(fused.map((f) => [f.chunkId, f.channels])).toEqual([
      ['a', { bm25: 1, dense: 2 }],
      ['b', { bm25: 2, dense: 1 }],
    ]);
  });
});
