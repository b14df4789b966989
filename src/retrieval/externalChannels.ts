import type { Config } from '../config/index.js';
import type { Embedder } from '../embedding/port.js';
import type { Logger } from '../observability/logger.js';
import type { Neo4jDriverLike } from '../sinks/neo4jSink.js';
import type { OpenSearchClientLike } from '../sinks/opensearchSink.js';
import type { SparseVector } from '../contracts/sparse.js';
import type { RetrievalChannel } from '../contracts/search.js';
import type { ChannelName } from './searchService.js';

/** A channel served by a production engine; `engine` names it in fallbacks and logs. */
export type ExternalChannel = RetrievalChannel & { engine: string };

export interface ExternalChannels {
  channels: Partial<Record<ChannelName, ExternalChannel>>;
  close(): Promise<void>;
}

export interface ExternalChannelDeps {
  embedder: () => Promise<Embedder>;
  /** SPLADE query expansion; without it there is no splade channel anywhere */
  expandQuery: ((text: string) => Promise<SparseVector>) | null;
  logger: Logger;
  /** injected clients (tests); the caller owns them and close() leaves them open */
  opensearchClient?: OpenSearchClientLike;
  neo4jDriver?: Neo4jDriverLike;
}

/**
 * The production retrieval channels the settings switch on: with
 * OPENSEARCH_URL, `bm25` (and `splade`, when a SPLADE model encodes queries)
 * are served by OpenSearch; with DENSE_CHANNEL=neo4j, `dense` is served by
 * Neo4j's chunk_qwen_idx. Anything not switched on stays local (DuckDB, FAISS).
 * Clients are imported on demand so embedded setups never load them.
 */
export async function createExternalChannels(config: Config, deps: ExternalChannelDeps): Promise<ExternalChannels> {
  const channels: ExternalChannels['channels'] = {};
  const closers: (() => Promise<void>)[] = [];

  if (config.opensearch) {
    const { createOpenSearchClient } = await import('../sinks/opensearchSink.js');
    const { createOpenSearchBm25Channel, createOpenSearchSpladeChannel } = await import('./opensearchChannels.js');
    const client = deps.opensearchClient ?? createOpenSearchClient(config.opensearch);
    if (!deps.opensearchClient) closers.push(() => client.close());
    const base = { client, index: config.opensearch.index };
    channels.bm25 = { ...createOpenSearchBm25Channel(base), engine: 'opensearch' };
    const expand = deps.expandQuery;
    if (expand) {
      channels.splade = { ...createOpenSearchSpladeChannel({ ...base, encodeQuery: (text) => expand(text) }), engine: 'opensearch' };
    }
  }

  if (config.retrieval.denseChannel === 'neo4j' && config.neo4j) {
    const { createNeo4jDriver } = await import('../sinks/neo4jSink.js');
    const { createNeo4jDenseChannel } = await import('./neo4jChannel.js');
    const driver = deps.neo4jDriver ?? createNeo4jDriver(config.neo4j);
    if (!deps.neo4jDriver) closers.push(() => driver.close());
    const dense = createNeo4jDenseChannel({
      driver,
      database: config.neo4j.database,
      embedQuery: async (text, signal) => (await deps.embedder()).embedQuery(text, signal),
    });
    channels.dense = { ...dense, engine: 'neo4j' };
  }

  const names = Object.entries(channels).map(([c, ch]) => `${c}=${ch!.engine}`);
  if (names.length) deps.logger.info({ channels: names }, 'retrieval channels served by production engines (local files are the fallback)');
  return {
    channels,
    async close() {
      for (const c of closers) await c().catch(() => {});
    },
  };
}
