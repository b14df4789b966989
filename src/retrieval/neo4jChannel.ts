import { vectorQueryStatement } from '../sinks/neo4jCypher.js';
import { toNumber, type Neo4jDriverLike } from '../sinks/neo4jSink.js';
import type { ChannelHit, ChannelQuery, RetrievalChannel } from '../contracts/search.js';

export interface Neo4jDenseChannelDeps {
  driver: Neo4jDriverLike;
  database?: string;
  /** the same embedder (and query instruction) that wrote the vectors */
  embedQuery: (text: string, signal?: AbortSignal) => Promise<Float32Array>;
  /** candidates per wanted hit before the repo filter (default 4) */
  overFetch?: number;
}

/** 'dense' channel over the chunk_qwen_idx vector index. */
export function createNeo4jDenseChannel(deps: Neo4jDenseChannelDeps): RetrievalChannel {
  return {
    name: 'dense',
    async search(q: ChannelQuery): Promise<ChannelHit[]> {
      q.signal?.throwIfAborted();
      const vector = await deps.embedQuery(q.text, q.signal);
      q.signal?.throwIfAborted();
      const s = vectorQueryStatement({ repo: q.repo, vector, k: q.k, filters: q.filters, overFetch: deps.overFetch });
      // the driver takes no AbortSignal: a late abort only drops the result
      const { records } = await deps.driver.executeQuery(s.text, s.params, { database: deps.database, routing: 'READ' });
      q.signal?.throwIfAborted();
      return records.map((r) => ({ chunkId: String(r.get('id')), score: toNumber(r.get('score')) }));
    },
  };
}
