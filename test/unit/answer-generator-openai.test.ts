import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratorError } from '../../src/errors/generatorError.js';
import { type GeneratorDelta } from '../../src/answer/generator.js';
import { createOpenAIChatGenerator } from '../../src/answer/generatorOpenAI.js';
import { createVllmReranker } from '../../src/answer/reranker.js';
import { RerankError } from '../../src/errors/rerankError.js';
import { registerChatCompletions, registerRerank, startFakeOpenAIServer, type ChatControl, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';

const input = (signal?: AbortSignal) => ({
  question: 'q',
  chunks: [],
  messages: [
    { role: 'system' as const, content: 'sys' },
    { role: 'user' as const, content: 'Sources: ... Question: q' },
  ],
  maxTokens: 64,
  temperature: 0.2,
  signal,
});

async function collect(it: AsyncIterable<GeneratorDelta>): Promise<GeneratorDelta[]> {
  const out: GeneratorDelta[] = [];
  for await (const d of it) out.push(d);
  return out;
}

describe('OpenAI/vLLM chat generator (streamed)', () => {
  let fake: FakeOpenAIServer;
  let chat: ChatControl;
  beforeAll(async () => {
    fake = await startFakeOpenAIServer();
    chat = registerChatCompletions(fake, { model: 'chat-model', reply: ['Interest ', 'compounds ', '[1]', '.'] });
    registerRerank(fake, { model: 'rerank-model' });
  });
  afterAll(async () => fake?.close());

  it('streams the pieces as they come, then usage and the finish reason, from one POST /chat/completions with stream: true', async () => {
    const g = createOpenAIChatGenerator({ url: fake.baseUrl, model: 'chat-model', apiKey: 'sk-test' });
    const deltas = await collect(g.stream(input()));
    expect(deltas.filter((d) => d.type === 'text').map((d) => (d as { text: string }).text)).toEqual(['Interest ', 'compounds ', '[1]', '.']);
    expect(deltas).toContainEqual({ type: 'finish', reason: 'stop' });
    expect(deltas).toContainEqual(expect.objectContaining({ type: 'usage', completionTokens: 4 }));
    const req = fake.requestsTo('/v1/chat/completions').at(-1)!;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({ model: 'chat-model', stream: true, max_tokens: 64, temperature: 0.2, messages: input().messages });
  });

  it('fails with the server message on an HTTP error, and says whether trying again could help', async () => {
    const g = createOpenAIChatGenerator({ url: fake.baseUrl, model: 'chat-model' });
    fake.fault({ path: '/v1/chat/completions', status: 503, body: { error: { message: 'engine overloaded' } } });
    await expect(collect(g.stream(input()))).rejects.toMatchObject({ name: 'GeneratorError', status: 503, retryable: true, message: expect.stringContaining('engine overloaded') });
    const wrongModel = createOpenAIChatGenerator({ url: fake.baseUrl, model: 'nope' });
    await expect(collect(wrongModel.stream(input()))).rejects.toMatchObject({ status: 404, retryable: false });
  });

  it('treats a stream that ends without [DONE] as cut off', async () => {
    fake.route('POST', '/v1/cut/chat/completions', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"choices":[{"delta":{"content":"half"}}]}\n\n');
    });
    const g = createOpenAIChatGenerator({ url: `${fake.origin}/v1/cut`, model: 'chat-model' });
    await expect(collect(g.stream(input()))).rejects.toThrow(GeneratorError);
  });

  it('closes the HTTP stream when the signal aborts (the server sees the client leave)', async () => {
    chat.behaviour.reply = Array.from({ length: 200 }, (_, i) => `t${i} `);
    chat.behaviour.tokenDelayMs = 20;
    try {
      const g = createOpenAIChatGenerator({ url: fake.baseUrl, model: 'chat-model' });
      const abort = new AbortController();
      const seen: string[] = [];
      const run = (async () => {
        for await (const d of g.stream(input(abort.signal))) {
          if (d.type === 'text') seen.push(d.text);
          if (seen.length === 3) abort.abort(new Error('user cancelled'));
        }
      })();
      await expect(run).rejects.toThrow('user cancelled');
      const log = chat.streams.at(-1)!;
      await log.ended;
      expect(log.closedByClient).toBe(true);
      expect(log.completed).toBe(false);
      expect(log.piecesSent).toBeLessThan(200);
    } finally {
      chat.behaviour.reply = ['Interest ', 'compounds ', '[1]', '.'];
      chat.behaviour.tokenDelayMs = 0;
    }
  });
});

describe('vLLM reranker client', () => {
  let fake: FakeOpenAIServer;
  beforeAll(async () => {
    fake = await startFakeOpenAIServer();
    registerRerank(fake, { model: 'rerank-model' });
  });
  afterAll(async () => fake?.close());

  it('sends {model, query, documents} to /rerank and returns the indexes best first', async () => {
    const r = createVllmReranker({ url: fake.baseUrl, model: 'rerank-model' });
    const out = await r.rerank('compute interest', ['def deposit()', 'def compute_interest(): interest', 'interest']);
    expect(out.map((x) => x.index)).toEqual([1, 2, 0]);
    expect(fake.requestsTo('/v1/rerank').at(-1)!.body).toEqual({ model: 'rerank-model', query: 'compute interest', documents: ['def deposit()', 'def compute_interest(): interest', 'interest'] });
  });

  it('rejects an answer that names documents it was not sent', async () => {
    fake.route('POST', '/v1/bad/rerank', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [{ index: 5, relevance_score: 1 }] }));
    });
    const r = createVllmReranker({ url: `${fake.origin}/v1/bad` });
    await expect(r.rerank('q', ['a', 'b'])).rejects.toThrow(RerankError);
  });
});
