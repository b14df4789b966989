import {
  buildBm25Query,
  buildHybridQuery,
  buildNeuralSparseQuery,
  buildSpladeQuery,
  topQueryTerms,
} from '../sinks/opensearchBodies.js';
import type { OpenSearchClientLike, SearchHit } from '../sinks/opensearchSink.js';
import type { SparseVector } from '../contracts/sparse.js';
import type { ChannelHit, ChannelQuery, RetrievalChannel } from '../contracts/search.js';

export interface OpenSearchChannelDeps {
  client: Pick<OpenSearchClientLike, 'search'>;
  index: string;
}

export type EncodeQuery = (text: string, signal?: AbortSignal) => Promise<SparseVector>;

async function search(deps: OpenSearchChannelDeps, body: Record<string, unknown>, signal?: AbortSignal): Promise<ChannelHit[]> {
  signal?.throwIfAborted();
  const pending = deps.client.search({ index: deps.index, body });
  // the client's promise carries abort(); a cancelled answer stops the request
  const onAbort = () => pending.abort?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { body: res } = await pending;
    signal?.throwIfAborted();
    return res.hits.hits.map(toHit);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

const toHit = (h: SearchHit): ChannelHit => ({ chunkId: h._source?.chunk_id ?? h._id, score: h._score ?? 0 });

/** 'bm25': multi_match over content, symbols (x2) and path words (x0.5). */
export function createOpenSearchBm25Channel(deps: OpenSearchChannelDeps): RetrievalChannel {
  return {
    name: 'bm25',
    search: (q: ChannelQuery) => search(deps, buildBm25Query({ repo: q.repo, text: q.text, k: q.k, filters: q.filters }), q.signal),
  };
}

export interface SpladeChannelDeps extends OpenSearchChannelDeps {
  encodeQuery: EncodeQuery;
  /**
   * Use the neural-search plugin's neural_sparse query instead of rank_feature
   * clauses: `{}` sends our own encoded tokens, `{ modelId }` lets a model
   * deployed in the cluster encode the text. Off by default (plain OpenSearch).
   */
  neuralSparse?: false | { modelId?: string };
  maxQueryTerms?: number;
}

/** 'splade': dot product of the query's SPLADE terms with each chunk's rank_features. */
export function createOpenSearchSpladeChannel(deps: SpladeChannelDeps): RetrievalChannel {
  return {
    name: 'splade',
    async search(q: ChannelQuery) {
      const base = { repo: q.repo, k: q.k, filters: q.filters };
      if (deps.neuralSparse && deps.neuralSparse.modelId) {
        return search(deps, buildNeuralSparseQuery({ ...base, text: q.text, modelId: deps.neuralSparse.modelId }), q.signal);
      }
      const vector = await deps.encodeQuery(q.text, q.signal);
      // no usable term: nothing can score, so skip the round trip
      if (topQueryTerms(vector, 1).length === 0) return [];
      const body = deps.neuralSparse
        ? buildNeuralSparseQuery({ ...base, vector, maxTerms: deps.maxQueryTerms })
        : buildSpladeQuery({ ...base, vector, maxTerms: deps.maxQueryTerms });
      return search(deps, body, q.signal);
    },
  };
}

export interface HybridChannelDeps extends OpenSearchChannelDeps {
  encodeQuery: EncodeQuery;
  bm25Boost?: number;
  spladeBoost?: number;
  maxQueryTerms?: number;
}

/** 'hybrid': BM25 and SPLADE scored together in one request (seed 003 §7.3). */
export function createOpenSearchHybridChannel(deps: HybridChannelDeps): RetrievalChannel {
  return {
    name: 'hybrid',
    async search(q: ChannelQuery) {
      const vector = await deps.encodeQuery(q.text, q.signal);
      const body = buildHybridQuery({
        repo: q.repo,
        text: q.text,
        vector,
        k: q.k,
        filters: q.filters,
        bm25Boost: deps.bm25Boost,
        spladeBoost: deps.spladeBoost,
        maxTerms: deps.maxQueryTerms,
      });
      return search(deps, body, q.signal);
    },
  };
}
