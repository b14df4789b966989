import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chunk } from '../../src/contracts/chunk.js';
import type { EmbeddingContract } from '../../src/contracts/embedding.js';
import {
  createOpenSearchBm25Channel,
  createOpenSearchHybridChannel,
  createOpenSearchSpladeChannel,
} from '../../src/retrieval/opensearchChannels.js';
import { createOpenSearchClient, createOpenSearchSink, type OpenSearchClientLike } from '../../src/sinks/opensearchSink.js';
import type { Sink } from '../../src/sinks/port.js';
import type { SparseVector } from '../../src/contracts/sparse.js';
import { testContract } from '../support/contract.js';

/**
 * Runs against a real OpenSearch 2.x/3.x cluster when OPENSEARCH_URL is set
 * (OPENSEARCH_USER / OPENSEARCH_PASSWORD as in the config). Creates a
 * throw-away index codeintel-it-<uuid> and deletes it afterwards.
 */
const url = process.env.OPENSEARCH_URL;
if (!url) {
  console.warn(
    '[skipped] test/integration/opensearch.test.ts: OPENSEARCH_URL is not set, so the OpenSearch sink and channels were NOT tested against a cluster ' +
      '(no OpenSearch can be installed on this machine). Set OPENSEARCH_URL (and OPENSEARCH_USER / OPENSEARCH_PASSWORD) to run it.',
  );
}

const contract: EmbeddingContract = testContract({ model: 'integration-test' });

describe.skipIf(!url)('OpenSearch sink and channels against a real cluster', () => {
  const settings = {
    url: url ?? '',
    index: `codeintel-it-${randomUUID()}`,
    user: process.env.OPENSEARCH_USER || undefined,
    password: process.env.OPENSEARCH_PASSWORD || undefined,
  };
  const repo = 'acme/api';
  let client: OpenSearchClientLike;
  let sink: Sink;
  const chunks: Chunk[] = [
    {
      id: 'c-config',
      path: 'src/config/loader.ts',
      startLine: 1,
      endLine: 12,
      language: 'typescript',
      symbols: ['parseConfigFile'],
      text: 'export function parseConfigFile(path: string) { return readFileSync(path) }',
    },
    {
      id: 'c-yaml',
      path: 'tools/yaml_io.py',
      startLine: 3,
      endLine: 8,
      language: 'python',
      symbols: ['load_yaml'],
      text: 'def load_yaml(stream):\n    return yaml.safe_load(stream)',
    },
    { id: 'c-main', path: 'cmd/main.go', startLine: 1, endLine: 3, language: 'go', symbols: ['main'], text: 'func main() { run() }' },
  ];
  // risky names on purpose: a dot and a WordPiece prefix
  const sparse: SparseVector[] = [{ config: 0.8, 'os.path': 0.5, '##ing': 0.2 }, { yaml: 0.9, load: 0.3 }, { main: 0.7, bad: -1 }];
  const query = (vector: SparseVector) => async () => vector;

  beforeAll(() => {
    client = createOpenSearchClient(settings);
    sink = createOpenSearchSink(settings, { client }, { refresh: 'wait_for' });
  });

  afterAll(async () => {
    if (!client) return;
    const raw = new Client({
      node: settings.url,
      ...(settings.user ? { auth: { username: settings.user, password: settings.password ?? '' } } : {}),
    });
    await raw.indices.delete({ index: settings.index }).catch(() => undefined);
    await raw.close();
    await client.close();
  });

  it('is healthy', async () => {
    expect((await sink.health()).ok).toBe(true);
  });

  it('creates the index, and accepts it the second time', async () => {
    await sink.init(contract);
    await sink.init(contract);
  });

  it('indexes a batch, sanitising SPLADE names and dropping bad weights', async () => {
    const result = await sink.writeBatch({ repo, runId: 'run-1', batchIndex: 0, chunks, dense: [], sparse, embedding: contract });
    expect(result.written).toBe(3);
  });

  it('bm25 splits camelCase identifiers and honours the filters', async () => {
    const bm25 = createOpenSearchBm25Channel({ client, index: settings.index });
    const hits = await bm25.search({ repo, text: 'config file', k: 3 });
    expect(hits[0].chunkId).toBe('c-config');

    expect(await bm25.search({ repo, text: 'config file', k: 3, filters: { languages: ['python'] } })).toEqual([]);
    expect((await bm25.search({ repo, text: 'yaml', k: 3, filters: { paths: ['*.py'] } })).map((h) => h.chunkId)).toEqual(['c-yaml']);
    expect((await bm25.search({ repo, text: 'config', k: 3, filters: { paths: ['src/**'] } })).map((h) => h.chunkId)).toEqual(['c-config']);
    expect(await bm25.search({ repo: 'someone/else', text: 'config', k: 3 })).toEqual([]);
  });

  it('splade finds a chunk by a dotted term, scored as a dot product', async () => {
    const splade = createOpenSearchSpladeChannel({ client, index: settings.index, encodeQuery: query({ 'os.path': 1 }) });
    const hits = await splade.search({ repo, text: 'os.path', k: 3 });
    expect(hits.map((h) => h.chunkId)).toEqual(['c-config']);
    // linear rank_feature with boost 1: the score is the stored weight (9-bit precision)
    expect(hits[0].score).toBeCloseTo(0.5, 2);

    const ranked = await createOpenSearchSpladeChannel({ client, index: settings.index, encodeQuery: query({ yaml: 1, config: 0.5 }) }).search({
      repo,
      text: 'q',
      k: 3,
    });
    expect(ranked.map((h) => h.chunkId)).toEqual(['c-yaml', 'c-config']);
  });

  it('hybrid combines both in one request', async () => {
    const hybrid = createOpenSearchHybridChannel({ client, index: settings.index, encodeQuery: query({ main: 1 }) });
    const hits = await hybrid.search({ repo, text: 'config file', k: 3 });
    expect(hits.map((h) => h.chunkId).sort()).toEqual(['c-config', 'c-main']);
  });

  it('deletes by id; unknown ids are fine', async () => {
    await sink.deleteChunks(repo, ['c-config', 'c-yaml', 'c-main', 'never-existed']);
    const bm25 = createOpenSearchBm25Channel({ client, index: settings.index });
    expect(await bm25.search({ repo, text: 'config yaml main', k: 3 })).toEqual([]);
  });
});
