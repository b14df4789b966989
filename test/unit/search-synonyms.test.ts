import { describe, expect, it } from 'vitest';
import type { Bm25Expansion, ChunkCatalog } from '../../src/catalog/chunkCatalog.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { RepoReader, RepoReaders } from '../../src/retrieval/repoReaders.js';
import { createSearchService, type SearchDeps } from '../../src/retrieval/searchService.js';
import { createSynonymExpansion } from '../../src/retrieval/synonymExpansion.js';
import { openWordNet } from '../../src/text/wordnet.js';

/** The expansion the search service hands the BM25 channel, for one query. */
async function expansionFor(query: string, deps: Partial<SearchDeps>): Promise<Bm25Expansion | undefined> {
  let seen: Bm25Expansion | undefined;
  const catalog: Partial<ChunkCatalog> = {
    bm25: async (_q, _k, _f, _priors, expansion) => {
      seen = expansion;
      return [];
    },
    relatedTerms: () => new Map([['freez', 0.2]]),
    definitions: (ids) => ids.map(() => null),
    roles: (ids) => ids.map(() => 'source'),
    hydrate: async () => [],
  };
  const reader = { manifest: { repo: 'r', version: 1, embedding: { dim: 4 }, sparse: null }, catalog, primary: null, secondary: null, deleted: new Set<string>() };
  const service = createSearchService({
    readers: { get: async () => reader as unknown as RepoReader } as unknown as RepoReaders,
    embedder: async () => {
      throw new Error('not used');
    },
    expandQuery: null,
    logger: silentLogger(),
    rrfK: 60,
    defaultBudgetMs: 5_000,
    ...deps,
  });
  await service.search({ repo: 'r', query, k: 5, channels: ['bm25'] });
  return seen;
}

describe('search: synonyms and the repo vocabulary reach BM25', () => {
  const synonyms = createSynonymExpansion({ weight: 0.6, senses: 2, wordnet: openWordNet() });

  it('sends a query\'s WordNet synonyms as head terms, matched against names, definition lines and summaries only', async () => {
    const expansion = await expansionFor('stop the worker', { synonyms });
    expect(expansion?.headTerms?.get('halt')).toBe(0.6);
    expect(expansion?.terms).toBeUndefined();
  });

  it('sends the repo vocabulary over every field, beside the synonyms', async () => {
    const expansion = await expansionFor('stop the worker', { synonyms, repoVocabularyWeight: 0.2 });
    expect(expansion?.terms?.get('freez')).toBe(0.2);
    expect(expansion?.headTerms?.get('halt')).toBe(0.6);
  });

  it('sends no expansion when neither is configured', async () => {
    expect(await expansionFor('stop the worker', {})).toBeUndefined();
  });
});
