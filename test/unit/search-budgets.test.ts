import { describe, expect, it } from 'vitest';
import type { ChunkCatalog } from '../../src/catalog/chunkCatalog.js';
import { OverloadedError } from '../../src/errors/overloadedError.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { RepoReader, RepoReaders } from '../../src/retrieval/repoReaders.js';
import { createSearchService } from '../../src/retrieval/searchService.js';

/** Issue 13, hole 6: budgets stop the work they bound, and hydration has one. */
function serviceOver(catalog: Partial<ChunkCatalog>, opts: { budgetMs: number; hydrateBudgetMs?: number }) {
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
});
