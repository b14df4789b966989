import { describe, expect, it } from 'vitest';
import type { ChunkCatalog } from '../../src/catalog/chunkCatalog.js';
import { OverloadedError } from '../../src/errors/overloadedError.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { RepoReader, RepoReaders } from '../../src/retrieval/repoReaders.js';
import { createSearchService } from '../../src/retrieval/searchService.js';

/** Issue 13, hole 6: budgets stop the work they bound, and hydration has one. */
function serviceOver(catalog: Partial<ChunkCatalog>, opts: { budgetMs: number; hydrateBudgetMs?: number; admission?: { maxConcurrent: number; maxQueued: number } }) {
  const reader = {
    manifest: { repo: 'r', version: 1, embedding: { dim: 4 }, sparse: null },
    // the in-memory parts of a catalog: every chunk its own definition, all of them source
    catalog: { definitions: (ids: string[]) => ids.map(() => null), roles: (ids: string[]) => ids.map(() => 'source'), ...catalog },
    primary: null,
    secondary: null,
    deleted: new Set<string>(),
  } as unknown as RepoReader;
  return createSearchService({
    readers: { get: async () => reader } as unknown as RepoReaders,
    embedder: async () => {
      throw new Error('not used');
    },
    expandQuery: null,
    logger: silentLogger(),
    rrfK: 60,
    defaultBudgetMs: opts.budgetMs,
    hydrateBudgetMs: opts.hydrateBudgetMs,
    admission: opts.admission,
  });
}

/** Work that runs until its signal aborts, recording that it was told to stop. */
const untilAborted = (seen: { aborted: boolean }) => (signal?: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal?.addEventListener('abort', () => {
      seen.aborted = true;
      reject(signal.reason);
    });
  });

describe('search budgets', () => {
  it('a channel past its budget is dropped and its catalog query is told to stop', async () => {
    const seen = { aborted: false };
    const search = serviceOver({ bm25: (_q, _k, _f, _priors, _extra, signal) => untilAborted(seen)(signal), hydrate: async () => [] }, { budgetMs: 30 });
    const res = await search.search({ repo: 'r', query: 'q', k: 5, channels: ['bm25'] });
    expect(res.dropped).toEqual([{ channel: 'bm25', reason: 'missed its 30 ms budget' }]);
    expect(seen.aborted).toBe(true);
  });

  it('hydration past its budget fails with a 503-kind error that says when to retry, and stops the query', async () => {
    const seen = { aborted: false };
    const search = serviceOver(
      { bm25: async () => [{ chunkId: 'c1', score: 1 }], hydrate: (_ids, _f, signal) => untilAborted(seen)(signal) },
      { budgetMs: 1000, hydrateBudgetMs: 30 },
    );
    const err = await search.search({ repo: 'r', query: 'q', k: 5, channels: ['bm25'] }).catch((e) => e);
    expect(err).toBeInstanceOf(OverloadedError);
    expect(err).toMatchObject({ kind: 'unavailable', code: 'search-overloaded', retryAfterS: 1 });
    expect(seen.aborted).toBe(true);
  });

  it('runs at most SEARCH_MAX_CONCURRENT searches at once, queues SEARCH_MAX_QUEUED more, and refuses the next with a 503-kind error', async () => {
    let running = 0;
    let most = 0;
    const gate: (() => void)[] = [];
    const search = serviceOver(
      {
        bm25: async () => {
          running++;
          most = Math.max(most, running);
          await new Promise<void>((r) => gate.push(r));
          running--;
          return [];
        },
        hydrate: async () => [],
      },
      { budgetMs: 10_000, admission: { maxConcurrent: 2, maxQueued: 1 } },
    );
    const ask = () => search.search({ repo: 'r', query: 'q', k: 5, channels: ['bm25'] });
    const admitted = [ask(), ask(), ask()];
    await new Promise((r) => setTimeout(r, 20));
    expect(running).toBe(2); // the third waits for a turn
    const refused = await ask().catch((e) => e);
    expect(refused).toBeInstanceOf(OverloadedError);
    expect(refused).toMatchObject({ kind: 'unavailable', code: 'search-overloaded', retryAfterS: 1 });
    expect(refused.message).toMatch(/SEARCH_MAX_CONCURRENT/);
    // as turns free up, the waiting search runs and every admitted one answers
    while (gate.length || running) {
      gate.splice(0).forEach((open) => open());
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await Promise.all(admitted)).toHaveLength(3);
    expect(most).toBe(2);
  });
});
