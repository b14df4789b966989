import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packByTokens } from '../../src/embedding/tokenBudget.js';
import { createVllmEmbedder, type VllmConfig } from '../../src/embedding/vllm.js';
import type { TextTokenizer } from '../../src/embedding/qwenTokenizer.js';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';

describe('packByTokens: requests cut by a token budget within a count limit', () => {
  it('fills a request up to the token budget, keeping the input order', () => {
    expect(packByTokens([40, 30, 30, 50, 10], 10, 100)).toEqual([
      { start: 0, end: 3 },
      { start: 3, end: 5 },
    ]);
  });

  it('never puts more inputs in a request than the count limit (the learned OOM-safe size)', () => {
    expect(packByTokens([1, 1, 1, 1, 1], 2, 1000)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 4 },
      { start: 4, end: 5 },
    ]);
  });

  it('sends an input longer than the budget alone', () => {
    expect(packByTokens([10, 500, 10], 10, 100)).toEqual([
      { start: 0, end: 1 },
      { start: 1, end: 2 },
      { start: 2, end: 3 },
    ]);
  });

  it('has no request for no inputs', () => {
    expect(packByTokens([], 8, 100)).toEqual([]);
  });
});

describe('the vLLM adapter sizes its requests by tokens', () => {
  let server: FakeOpenAIServer;
  beforeEach(async () => (server = await startFakeOpenAIServer({ dim: 4 })));
  afterEach(async () => server.close());

  /** one token per space-separated word: token counts the test knows */
  const wordTokenizer: TextTokenizer = {
    encode: (text) => text.split(' ').map((_, i) => i),
    decode: (ids) => ids.map(() => 'w').join(' '),
  };
  const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
  const config = (over: Partial<VllmConfig>): VllmConfig => ({
    url: server.baseUrl,
    model: 'Qwen/Qwen3-Embedding-8B',
    batchSize: 100,
    batchMaxTokens: 100,
    endpoints: 'shared',
    urls: [],
    timeoutMs: 2000,
    maxRetries: 0,
    retryBackoffMs: 1,
    normalize: false,
    pooling: 'last',
    healthPath: '/health',
    http2: false,
    maxModelLen: 32768,
    queryInstruction: '',
    allowInprocessFallback: false,
    ...over,
  });

  it('splits a call whose texts exceed VLLM_BATCH_MAX_TOKENS, counting each text with the truncation tokenizer plus the end-of-text token', async () => {
    // 39 + 1 tokens each: two fit a budget of 100, three do not
    const texts = ['a', 'b', 'c', 'd', 'e'].map((t) => words(39, t));
    const e = createVllmEmbedder(config({}), { loadTokenizer: async () => wordTokenizer });
    try {
      const rows = await e.embedDocuments(texts);
      expect(rows).toHaveLength(5);
      expect(server.embeddingInputs().map((input) => input.length)).toEqual([2, 2, 1]);
      expect(server.embeddingInputs().flat()).toEqual(texts);
    } finally {
      await e.close();
    }
  });

  it('sends texts whose byte count already fits the budget in one request, without tokenizing them', async () => {
    let loaded = 0;
    const e = createVllmEmbedder(config({ batchMaxTokens: 1000 }), {
      loadTokenizer: async () => {
        loaded++;
        return wordTokenizer;
      },
    });
    try {
      await e.embedDocuments(['alpha', 'beta', 'gamma', 'delta']);
      expect(server.embeddingInputs().map((input) => input.length)).toEqual([4]);
      expect(loaded).toBe(0);
    } finally {
      await e.close();
    }
  });

  it('keeps the count limit when the token budget would allow more', async () => {
    const e = createVllmEmbedder(config({ batchSize: 3, batchMaxTokens: 10_000 }), { loadTokenizer: async () => wordTokenizer });
    try {
      await e.embedDocuments(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
      expect(server.embeddingInputs().map((input) => input.length)).toEqual([3, 3, 1]);
    } finally {
      await e.close();
    }
  });
});
