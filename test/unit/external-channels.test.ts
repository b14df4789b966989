import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import type { Embedder } from '../../src/embedding/port.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createExternalChannels } from '../../src/retrieval/externalChannels.js';
import type { Neo4jDriverLike } from '../../src/sinks/neo4jSink.js';
import type { OpenSearchClientLike } from '../../src/sinks/opensearchSink.js';

const baseEnv = { DATA_DIR: '/tmp/codeintel-x', LOG_LEVEL: 'silent' };

/** The part of a search body these tests read. */
type SearchBody = { query: { bool: { should: { rank_feature: { field: string } }[] } } };

function fakeClient() {
  const searches: { index: string; body: SearchBody }[] = [];
  const client = {
    search(params: { index: string; body: SearchBody }) {
      searches.push(params);
      return Promise.resolve({ body: { hits: { hits: [{ _id: 'r:c1', _score: 2, _source: { chunk_id: 'c1' } }] } } });
    },
  } as unknown as OpenSearchClientLike;
  return { client, searches };
}

function fakeDriver() {
  const queries: { text: string; params: Record<string, unknown> }[] = [];
  const driver: Neo4jDriverLike = {
    async executeQuery(text, params) {
      queries.push({ text, params });
      return { records: [{ get: (k: string) => (k === 'id' ? 'c9' : 0.87) }] };
    },
    async verifyConnectivity() {},
    async close() {},
  };
  return { driver, queries };
}

const embedder = async () => ({ embedQuery: async () => new Float32Array([0.6, 0.8]) }) as unknown as Embedder;

describe('production retrieval channels chosen by configuration', () => {
  it('uses nothing external on embedded defaults', async () => {
    const ext = await createExternalChannels(loadConfig(baseEnv), { embedder, expandQuery: null, logger: silentLogger() });
    expect(ext.channels).toEqual({});
  });

  it('serves bm25 and splade from OpenSearch when OPENSEARCH_URL is set, dense stays FAISS by default', async () => {
    const os = fakeClient();
    const config = loadConfig({ ...baseEnv, OPENSEARCH_URL: 'http://search:9200', OPENSEARCH_INDEX: 'chunks', NEO4J_URI: 'bolt://graph:7687' });
    expect(config.retrieval.denseChannel).toBe('faiss');
    const ext = await createExternalChannels(config, {
      embedder,
      expandQuery: async () => ({ interest: 1.2, '##ing': 0.4 }),
      logger: silentLogger(),
      opensearchClient: os.client,
    });
    expect(Object.keys(ext.channels).sort()).toEqual(['bm25', 'splade']);
    expect(ext.channels.bm25!.engine).toBe('opensearch');

    expect(await ext.channels.bm25!.search({ repo: 'r', text: 'compute interest', k: 7 })).toEqual([{ chunkId: 'c1', score: 2 }]);
    expect(os.searches[0]).toMatchObject({ index: 'chunks', body: { size: 7, query: { bool: { must: [{ multi_match: { query: 'compute interest' } }] } } } });

    await ext.channels.splade!.search({ repo: 'r', text: 'compute interest', k: 7 });
    const fields = os.searches[1].body.query.bool.should.map((c) => c.rank_feature.field);
    expect(fields).toEqual(['splade_terms.interest', 'splade_terms._23__23_ing']);
  });

  it('has no splade channel without a SPLADE query encoder', async () => {
    const config = loadConfig({ ...baseEnv, OPENSEARCH_URL: 'http://search:9200' });
    const ext = await createExternalChannels(config, { embedder, expandQuery: null, logger: silentLogger(), opensearchClient: fakeClient().client });
    expect(Object.keys(ext.channels)).toEqual(['bm25']);
  });

  it('serves dense from the Neo4j vector index only with DENSE_CHANNEL=neo4j', async () => {
    const neo = fakeDriver();
    const config = loadConfig({ ...baseEnv, NEO4J_URI: 'neo4j://graph:7687', DENSE_CHANNEL: 'neo4j', NEO4J_DATABASE: 'code' });
    const ext = await createExternalChannels(config, { embedder, expandQuery: null, logger: silentLogger(), neo4jDriver: neo.driver });
    expect(Object.keys(ext.channels)).toEqual(['dense']);
    expect(ext.channels.dense!.engine).toBe('neo4j');
    expect(await ext.channels.dense!.search({ repo: 'r', text: 'q', k: 3 })).toEqual([{ chunkId: 'c9', score: 0.87 }]);
    expect(neo.queries[0].text).toContain('db.index.vector.queryNodes');
    expect(neo.queries[0].params).toMatchObject({ index: 'chunk_qwen_idx', repo: 'r' });
    expect((neo.queries[0].params.vector as number[])[0]).toBeCloseTo(0.6);
  });

  it('refuses DENSE_CHANNEL=neo4j without NEO4J_URI, naming the variable', () => {
    expect(() => loadConfig({ ...baseEnv, DENSE_CHANNEL: 'neo4j' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...baseEnv, DENSE_CHANNEL: 'neo4j' })).toThrow(/DENSE_CHANNEL.*needs NEO4J_URI/);
    expect(() => loadConfig({ ...baseEnv, DENSE_CHANNEL: 'qdrant' })).toThrow(/DENSE_CHANNEL.*expected one of faiss, neo4j/);
  });
});
