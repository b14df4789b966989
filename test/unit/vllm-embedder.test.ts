import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddingError } from '../../src/errors/embeddingError.js';
import { OutOfMemoryError } from '../../src/errors/outOfMemoryError.js';
import { loadQwen3Tokenizer, type TextTokenizer } from '../../src/embedding/qwenTokenizer.js';
import { createVllmEmbedder, type BatchObservation, type VllmConfig, type VllmEmbedderDeps } from '../../src/embedding/vllm.js';
import { resolveHealthUrl } from '../../src/embedding/vllmUrls.js';
import { fakeEmbedding, openAIError, sendJson, startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';

let server: FakeOpenAIServer;
let sleeps: number[];
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  server = await startFakeOpenAIServer({ dim: 8 });
  sleeps = [];
});

afterEach(async () => {
  while (closers.length) await closers.pop()!();
  await server.close();
});

const config = (over: Partial<VllmConfig> = {}): VllmConfig => ({
  url: server.baseUrl,
  model: 'Qwen/Qwen3-Embedding-8B',
  batchSize: 16,
  batchMaxTokens: 32768,
  endpoints: 'shared',
  urls: [],
  timeoutMs: 2000,
  maxRetries: 3,
  retryBackoffMs: 100,
  normalize: false,
  pooling: 'last',
  healthPath: '/health',
  http2: false,
  maxModelLen: 32768,
  queryInstruction: 'Given a question about a code repository, retrieve code that answers it',
  allowInprocessFallback: false,
  ...over,
});

/** An embedder whose backoff sleeps are recorded instead of waited. */
function embedder(over: Partial<VllmConfig> = {}, deps: VllmEmbedderDeps = {}) {
  const e = createVllmEmbedder(config(over), {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...deps,
  });
  closers.push(() => e.close());
  return e;
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
const asF32 = (xs: number[]) => Array.from(Float32Array.from(xs));

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('createVllmEmbedder: the happy path', () => {
  it('posts {model, input, encoding_format: "float"} to {VLLM_URL}/embeddings and returns one Float32Array per text', async () => {
    const e = embedder();
    const rows = await e.embedDocuments(['alpha', 'beta', 'gamma']);

    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r instanceof Float32Array)).toBe(true);
    expect(Array.from(rows[1])).toEqual(asF32(fakeEmbedding('beta', 8)));

    const [req] = server.requestsTo('/v1/embeddings');
    expect(req.method).toBe('POST');
    expect(req.body).toEqual({ model: 'Qwen/Qwen3-Embedding-8B', input: ['alpha', 'beta', 'gamma'], encoding_format: 'float' });
  });

  it('returns an empty list for no texts without calling the server', async () => {
    expect(await embedder().embedDocuments([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('learns the contract dim from the first answer and describes the model', async () => {
    const e = embedder({ normalize: true, pooling: 'last' });
    expect(e.contract.dim).toBe(0);

    await e.embedDocuments(['x']);

    expect(e.contract).toEqual({
      model: 'Qwen/Qwen3-Embedding-8B',
      provider: 'vllm',
      dim: 8,
      dtype: 'float32',
      pooling: 'last',
      normalize: true,
      queryInstruction: 'Given a question about a code repository, retrieve code that answers it',
    });
  });

  it('probeDim embeds one short text and reports the dimension', async () => {
    server.embeddings.dim = 12;
    const e = embedder();
    expect(await e.probeDim()).toBe(12);
    expect(e.contract.dim).toBe(12);
    expect(server.embeddingInputs()).toHaveLength(1);
  });

  it('restores input order when the server answers out of order (by `index`)', async () => {
    server.embeddings.shuffle = true;
    const texts = ['one', 'two', 'three', 'four'];
    // precondition: the fake really answers out of order
    const raw = await fetch(`${server.baseUrl}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'Qwen/Qwen3-Embedding-8B', input: texts }),
    }).then((r) => r.json() as Promise<{ data: { index: number }[] }>);
    expect(raw.data.map((d) => d.index)).not.toEqual([0, 1, 2, 3]);

    const rows = await embedder().embedDocuments(texts);

    rows.forEach((row, i) => expect(Array.from(row)).toEqual(asF32(fakeEmbedding(texts[i], 8))));
  });

  it('sends identical texts once and maps the vector back to every position', async () => {
    const texts = ['a', 'b', 'a', 'c', 'b', 'a'];
    const rows = await embedder().embedDocuments(texts);

    expect(server.embeddingInputs()).toEqual([['a', 'b', 'c']]);
    expect(rows).toHaveLength(6);
    rows.forEach((row, i) => expect(Array.from(row)).toEqual(asF32(fakeEmbedding(texts[i], 8))));
    // each position owns its row: mutating one repeat must not change another
    rows[0][0] = 42;
    expect(rows[2][0]).not.toBe(42);
  });

  it('L2-normalises rows when normalize is on', async () => {
    const rows = await embedder({ normalize: true }).embedDocuments(['p', 'q']);
    for (const row of rows) expect(norm(row)).toBeCloseTo(1, 5);
  });

  it('leaves the server vectors untouched when normalize is off', async () => {
    const [row] = await embedder({ normalize: false }).embedDocuments(['p']);
    expect(norm(row)).toBeCloseTo(norm(fakeEmbedding('p', 8)), 4);
    expect(Math.abs(norm(row) - 1)).toBeGreaterThan(0.01);
  });

  it('splits the distinct texts into batches of batchSize, in order, and reports each batch', async () => {
    const seen: BatchObservation[] = [];
    const texts = ['t1', 't2', 't3', 't4', 't5'];
    const rows = await embedder({ batchSize: 2 }, { onBatch: (b) => seen.push(b) }).embedDocuments(texts);

    expect(server.embeddingInputs()).toEqual([['t1', 't2'], ['t3', 't4'], ['t5']]);
    rows.forEach((row, i) => expect(Array.from(row)).toEqual(asF32(fakeEmbedding(texts[i], 8))));
    expect(seen.map((b) => [b.size, b.ok, b.attempts, b.outcome])).toEqual([
      [2, true, 1, 'ok'],
      [2, true, 1, 'ok'],
      [1, true, 1, 'ok'],
    ]);
    expect(seen.every((b) => b.latencyMs >= 0)).toBe(true);
  });

  it('still works with http2 enabled against an HTTP/1.1 server (h2 is only negotiated over TLS)', async () => {
    const rows = await embedder({ http2: true }).embedDocuments(['h2']);
    expect(rows).toHaveLength(1);
  });
});

describe('query instruction (Qwen3-Embedding)', () => {
  it('prefixes queries with "Instruct: …\\nQuery:" and sends documents raw', async () => {
    const e = embedder({ queryInstruction: 'Find code' });
    await e.embedQuery('where is the retry loop?');
    await e.embedDocuments(['function retry() {}']);

    expect(server.embeddingInputs()).toEqual([['Instruct: Find code\nQuery:where is the retry loop?'], ['function retry() {}']]);
  });

  it('sends the query raw when the instruction is empty', async () => {
    await embedder({ queryInstruction: '' }).embedQuery('plain');
    expect(server.embeddingInputs()).toEqual([['plain']]);
  });

  it('returns the same row shape for a query as for documents', async () => {
    const row = await embedder({ normalize: true }).embedQuery('q');
    expect(row).toBeInstanceOf(Float32Array);
    expect(row.length).toBe(8);
    expect(norm(row)).toBeCloseTo(1, 5);
  });
});

describe('retries', () => {
  it('retries 503 with jittered exponential backoff, then succeeds', async () => {
    server.fault({ status: 503, times: 2, body: openAIError('engine restarting', 'ServiceUnavailable', 503) });
    const jitter = [0.25, 0.75];
    const e = embedder({ retryBackoffMs: 100, maxRetries: 3 }, { random: () => jitter.shift()! });

    const rows = await e.embedDocuments(['x']);

    expect(rows).toHaveLength(1);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(3);
    // 100 * 2^0 * (0.8 + 0.4*0.25) and 100 * 2^1 * (0.8 + 0.4*0.75)
    expect(sleeps).toEqual([90, 220]);
  });

  it('keeps every backoff inside base * 2^(n-1) * [0.8, 1.2] and growing', async () => {
    server.fault({ status: 502, times: 4 });
    const e = embedder({ retryBackoffMs: 100, maxRetries: 4 }); // real Math.random

    await e.embedDocuments(['x']);

    expect(sleeps).toHaveLength(4);
    sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(100 * 2 ** i * 0.8);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i * 1.2);
    });
    for (let i = 1; i < sleeps.length; i++) expect(sleeps[i]).toBeGreaterThan(sleeps[i - 1]);
  });

  it('retries 429 with backoff when there is no Retry-After', async () => {
    server.fault({ status: 429, times: 2, body: openAIError('Too many requests', 'RateLimitError', 429) });
    const e = embedder({ retryBackoffMs: 50 }, { random: () => 0.5 });

    await e.embedDocuments(['x']);

    expect(server.requestsTo('/v1/embeddings')).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('honours Retry-After on 429 (seconds) instead of the backoff', async () => {
    server.fault({ status: 429, headers: { 'retry-after': '2' } });
    await embedder({ retryBackoffMs: 50 }).embedDocuments(['x']);
    expect(sleeps).toEqual([2000]);
  });

  it('caps an absurd Retry-After', async () => {
    server.fault({ status: 429, headers: { 'retry-after': '86400' } });
    await embedder({}, { retryAfterCapMs: 5000 }).embedDocuments(['x']);
    expect(sleeps).toEqual([5000]);
  });

  it('retries a plain 500 from a dead engine (not OOM)', async () => {
    server.fault({ status: 500, body: openAIError('EngineDeadError: background loop has errored', 'InternalServerError', 500) });
    const rows = await embedder().embedDocuments(['x']);
    expect(rows).toHaveLength(1);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(2);
  });

  it('retries a dropped connection (network error)', async () => {
    server.fault({ drop: true });
    const rows = await embedder().embedDocuments(['x']);
    expect(rows).toHaveLength(1);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(2);
    expect(sleeps).toHaveLength(1);
  });

  it('gives up after maxRetries with a retryable EmbeddingError naming the URL', async () => {
    server.fault({ status: 503, times: 10, body: openAIError('still down', 'ServiceUnavailable', 503) });
    const seen: BatchObservation[] = [];
    const err = await rejection(embedder({ maxRetries: 2 }, { onBatch: (b) => seen.push(b) }).embedDocuments(['x']));

    expect(err).toBeInstanceOf(EmbeddingError);
    expect((err as EmbeddingError).retryable).toBe(true);
    expect((err as EmbeddingError).status).toBe(503);
    expect(err.message).toContain(`${server.baseUrl}/embeddings`);
    expect(err.message).toContain('still down');
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(3);
    expect(seen).toEqual([expect.objectContaining({ size: 1, ok: false, attempts: 3, outcome: 'error' })]);
  });

  it('makes exactly one attempt when maxRetries is 0', async () => {
    server.fault({ status: 503, times: 5 });
    const err = await rejection(embedder({ maxRetries: 0 }).embedDocuments(['x']));
    expect((err as EmbeddingError).retryable).toBe(true);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('fail fast on client errors', () => {
  it('fails a 400 at once with the server message, non-retryable, after exactly one request', async () => {
    server.fault({
      status: 400,
      body: openAIError("This model's maximum context length is 32768 tokens. However, you requested 40000 tokens."),
    });
    const err = await rejection(embedder().embedDocuments(['x']));

    expect(err).toBeInstanceOf(EmbeddingError);
    expect(err).not.toBeInstanceOf(OutOfMemoryError);
    expect((err as EmbeddingError).retryable).toBe(false);
    expect((err as EmbeddingError).status).toBe(400);
    expect(err.message).toContain('maximum context length is 32768 tokens');
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reports a plain-text error body as is', async () => {
    server.fault({ status: 422, body: 'unprocessable: input[3] is not a string' });
    const err = await rejection(embedder().embedDocuments(['x']));
    expect((err as EmbeddingError).retryable).toBe(false);
    expect(err.message).toContain('unprocessable: input[3] is not a string');
  });

  it("fails at once on vLLM's 404 for an unknown model", async () => {
    const err = await rejection(embedder({ model: 'nope/not-served' }).embedDocuments(['x']));
    expect((err as EmbeddingError).status).toBe(404);
    expect((err as EmbeddingError).retryable).toBe(false);
    expect(err.message).toContain('The model `nope/not-served` does not exist.');
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(1);
  });

  it('rejects an answer with the wrong number of vectors as non-retryable', async () => {
    server.route('POST', '/v1/embeddings', (_req, res) =>
      sendJson(res, 200, { object: 'list', data: [{ index: 0, embedding: [1, 2, 3] }] }),
    );
    const err = await rejection(embedder().embedDocuments(['a', 'b']));
    expect((err as EmbeddingError).retryable).toBe(false);
    expect(err.message).toContain('expected 2 embeddings, got 1');
  });

  it('rejects vectors of unequal dims within one answer', async () => {
    server.route('POST', '/v1/embeddings', (_req, res) =>
      sendJson(res, 200, { data: [{ index: 0, embedding: [1, 2, 3] }, { index: 1, embedding: [1, 2] }] }),
    );
    const err = await rejection(embedder().embedDocuments(['a', 'b']));
    expect((err as EmbeddingError).retryable).toBe(false);
    expect(err.message).toMatch(/dim 2, expected 3/);
  });

  it('rejects a dim that differs from expectedDim', async () => {
    const err = await rejection(embedder({}, { expectedDim: 4 }).embedDocuments(['x']));
    expect((err as EmbeddingError).retryable).toBe(false);
    expect(err.message).toContain('dim 8');
    expect(err.message).toContain('dim 4');
  });

  it('rejects a later answer whose dim differs from the first one', async () => {
    const e = embedder();
    await e.embedDocuments(['x']);
    server.embeddings.dim = 16;
    const err = await rejection(e.embedDocuments(['y']));
    expect((err as EmbeddingError).retryable).toBe(false);
    expect(e.contract.dim).toBe(8);
  });
});

describe('timeouts', () => {
  it('abandons a slow call after ≈timeoutMs and retries it per policy', async () => {
    server.fault({ delayMs: 5000, times: 2 });
    const e = embedder({ timeoutMs: 150, maxRetries: 1 });

    const started = Date.now();
    const err = await rejection(e.embedDocuments(['x']));
    const elapsed = Date.now() - started;

    expect(err).toBeInstanceOf(EmbeddingError);
    expect((err as EmbeddingError).retryable).toBe(true);
    expect(err.message).toContain('timed out after 150 ms');
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(280); // two attempts of 150 ms (sleep is instant)
    expect(elapsed).toBeLessThan(2000);
  });

  it('succeeds when only the first attempt is slow', async () => {
    server.fault({ delayMs: 5000 });
    const rows = await embedder({ timeoutMs: 150, maxRetries: 2 }).embedDocuments(['x']);
    expect(rows).toHaveLength(1);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(2);
  });

  it("stops at once, without retrying, when the caller's signal aborts", async () => {
    server.fault({ delayMs: 5000, times: 5 });
    const e = embedder({ timeoutMs: 4000, maxRetries: 3 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('job cancelled')), 100);

    const started = Date.now();
    const err = await rejection(e.embedDocuments(['x'], ac.signal));

    expect(err.message).toBe('job cancelled');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('out of memory', () => {
  it('turns a 413 into OutOfMemoryError with the batch size, without retrying', async () => {
    server.embeddings.oomAboveBatch = 2;
    server.embeddings.oomStatus = 413;
    const seen: BatchObservation[] = [];
    const err = await rejection(embedder({}, { onBatch: (b) => seen.push(b) }).embedDocuments(['a', 'b', 'c']));

    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as OutOfMemoryError).batchSize).toBe(3);
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(seen).toEqual([expect.objectContaining({ size: 3, ok: false, outcome: 'oom' })]);
  });

  it('turns a 500 "CUDA out of memory" into OutOfMemoryError without retrying', async () => {
    server.embeddings.oomAboveBatch = 1;
    server.embeddings.oomStatus = 500;
    const err = await rejection(embedder().embedDocuments(['a', 'b']));

    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect((err as OutOfMemoryError).batchSize).toBe(2);
    expect(err.message).toContain('CUDA out of memory');
    expect(server.requestsTo('/v1/embeddings')).toHaveLength(1);
  });

  it('treats a 400 that mentions OOM as out of memory, not as a bad request', async () => {
    server.fault({ status: 400, body: openAIError('OOM while allocating KV cache for batch') });
    const err = await rejection(embedder().embedDocuments(['a']));
    expect(err).toBeInstanceOf(OutOfMemoryError);
  });

  it('reports the size of the HTTP batch that failed, so the caller can halve it', async () => {
    server.embeddings.oomAboveBatch = 3;
    const err = await rejection(embedder({ batchSize: 4 }).embedDocuments(['a', 'b', 'c', 'd', 'e']));
    expect((err as OutOfMemoryError).batchSize).toBe(4);
  });
});

describe('truncation to maxModelLen tokens', () => {
  let qwen: TextTokenizer;
  const long = Array.from({ length: 60 }, (_, i) => `const value${i} = compute(${i});`).join('\n');

  beforeEach(async () => {
    qwen ??= await loadQwen3Tokenizer();
  });

  it('cuts a long text so the server receives at most maxModelLen tokens, a prefix of the original', async () => {
    expect(qwen.encode(long).length).toBeGreaterThan(100);
    await embedder({ maxModelLen: 16 }, { loadTokenizer: async () => qwen }).embedDocuments([long]);

    const [[sent]] = server.embeddingInputs();
    const tokens = qwen.encode(sent).length;
    expect(tokens).toBeLessThanOrEqual(16);
    expect(tokens).toBeGreaterThan(8);
    expect(long.startsWith(sent)).toBe(true);
  });

  it('never splits a multi-byte character when cutting', async () => {
    // rare CJK (Extension B): three byte-level tokens per character; the leading 'x' puts the cut mid-character
    const cjk = `x${'𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇𠀈𠀉𠀊𠀋𠀌𠀍'.repeat(4)}`;
    await embedder({ maxModelLen: 16 }, { loadTokenizer: async () => qwen }).embedDocuments([cjk]);

    const [[sent]] = server.embeddingInputs();
    expect(qwen.encode(sent).length).toBeLessThanOrEqual(16);
    expect(sent).not.toContain('\uFFFD');
    expect(cjk.startsWith(sent)).toBe(true);
  });

  it('truncates queries including their instruction', async () => {
    await embedder({ maxModelLen: 16, queryInstruction: 'Find code' }, { loadTokenizer: async () => qwen }).embedQuery(long);
    const [[sent]] = server.embeddingInputs();
    expect(sent.startsWith('Instruct: Find code\nQuery:')).toBe(true);
    expect(qwen.encode(sent).length).toBeLessThanOrEqual(16);
  });

  it('sends short texts unchanged without loading the tokenizer', async () => {
    let loads = 0;
    const e = embedder({ maxModelLen: 64 }, {
      loadTokenizer: async () => {
        loads++;
        return qwen;
      },
    });
    await e.embedDocuments(['short text', 'x'.repeat(21)]); // 21 chars * ≤3 bytes ≤ 63 budget

    expect(server.embeddingInputs()).toEqual([['short text', 'x'.repeat(21)]]);
    expect(loads).toBe(0);
  });

  it('loads the tokenizer once per embedder however many long texts it sees', async () => {
    let loads = 0;
    const e = embedder({ maxModelLen: 16 }, {
      loadTokenizer: async () => {
        loads++;
        return qwen;
      },
    });
    await e.embedDocuments([long, `${long} again`]);
    await e.embedDocuments([`${long} and again`]);
    expect(loads).toBe(1);
  });
});

describe('health and lifecycle', () => {
  it('reports ok when GET {origin}/health answers 200 (vLLM serves /health at the root, not under /v1)', async () => {
    const h = await embedder({ healthPath: '/health' }).health();
    expect(h).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /health']);
  });

  it('can use /models under the base URL as the health check', async () => {
    const h = await embedder({ healthPath: '/models' }).health();
    expect(h.ok).toBe(true);
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/models']);
  });

  it('reports not ok with the status when the engine is unhealthy', async () => {
    server.healthStatus = 503;
    const h = await embedder().health();
    expect(h.ok).toBe(false);
    expect(h.detail).toContain('503');
  });

  it('reports not ok with the error when nothing listens', async () => {
    const e = embedder();
    await server.close();
    server = await startFakeOpenAIServer(); // afterEach closes this one; `e` still points at the dead port
    const h = await e.health();
    expect(h.ok).toBe(false);
    expect(h.detail).toMatch(/ECONNREFUSED/);
  });

  it('refuses to embed after close()', async () => {
    const e = embedder();
    await e.close();
    const err = await rejection(e.embedDocuments(['x']));
    expect((err as EmbeddingError).retryable).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it('requires VLLM_URL', () => {
    expect(() => createVllmEmbedder(config({ url: undefined }))).toThrow(/VLLM_URL/);
  });
});

describe('resolveHealthUrl', () => {
  it.each([
    ['http://h:8000/v1', '/health', 'http://h:8000/health'],
    ['http://h:8000/v1/', '/health', 'http://h:8000/health'],
    ['http://h:8000/v1', '/ping', 'http://h:8000/ping'],
    ['http://h:8000/v1', '/models', 'http://h:8000/v1/models'],
    ['http://h:8000/v1', 'models', 'http://h:8000/v1/models'],
    ['http://h:8000/v1', '/v1/models', 'http://h:8000/v1/models'],
    // behind a path-prefix proxy, give an absolute URL instead
    ['http://h/proxy/vllm/v1', '/health', 'http://h/health'],
    ['http://h:8000', '/models', 'http://h:8000/models'],
    ['http://h:8000/v1', 'http://other:9000/healthz', 'http://other:9000/healthz'],
  ])('%s + %s → %s', (base, path, expected) => {
    expect(resolveHealthUrl(base, path)).toBe(expected);
  });
});
