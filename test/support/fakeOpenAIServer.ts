import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible server (the parts vLLM serves) on 127.0.0.1 for
 * tests: deterministic `/v1/embeddings`, `/v1/models`, root `/health`, a
 * request log, and scriptable faults (status codes, delays, dropped
 * connections, OOM above a batch size).
 *
 * Built as a tiny router so more OpenAI routes (chat completions, rerank)
 * can be added with `server.route(...)` or a `registerXxx(server)` helper
 * like `registerEmbeddings` below.
 */

export interface LoggedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, the raw text otherwise, undefined when empty. */
  body: unknown;
  receivedAt: number;
}

export type FakeRequest = LoggedRequest & { raw: IncomingMessage };
export type RouteHandler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

/** A scripted misbehaviour for the next `times` requests to `path`. */
export interface Fault {
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** Request path it applies to (default '/v1/embeddings'). */
  path?: string;
  /** Wait this long before answering (with the fault's status, or normally when no status is given). */
  delayMs?: number;
  /** Answer with this status instead of the real handler. */
  status?: number;
  /** Body for `status`: an object is sent as JSON, a string as text; default an OpenAI error JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the connection without answering (a network error for the client). */
  drop?: boolean;
}

export interface EmbeddingsBehaviour {
  /** Served model id; requests naming another model get vLLM's 404. */
  model: string;
  dim: number;
  /** Answer `data` in a shuffled order (indexes stay correct), as servers may. */
  shuffle: boolean;
  /** Batches larger than this answer as out of memory. */
  oomAboveBatch?: number;
  /** 413 (payload too large) or 500 with a "CUDA out of memory" message. */
  oomStatus: 413 | 500;
}

export interface FakeOpenAIServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** OpenAI base URL, i.e. what VLLM_URL would be: origin + '/v1'. */
  readonly baseUrl: string;
  /** Every request received, in order (including faulted ones). */
  readonly requests: LoggedRequest[];
  /** Mutable: change between calls to alter the embeddings route. */
  readonly embeddings: EmbeddingsBehaviour;
  /** Status that GET /health answers with. */
  healthStatus: number;
  /** Queue a fault; faults for the same path are consumed in order. */
  fault(fault: Fault): void;
  /** Register (or replace) a route handler. */
  route(method: string, path: string, handler: RouteHandler): void;
  requestsTo(path: string): LoggedRequest[];
  /** The `input` arrays of every /v1/embeddings request, in order. */
  embeddingInputs(): string[][];
  /** Forget the log and pending faults. */
  reset(): void;
  close(): Promise<void>;
}

/** The vector the fake serves for `text`: deterministic, not unit length (so normalisation is observable). */
export function fakeEmbedding(text: string, dim: number): number[] {
  const seed = createHash('sha256').update(text).digest();
  let state = seed.readUInt32LE(0) || 1;
  const out = new Array<number>(dim);
  for (let i = 0; i < dim; i++) {
    // xorshift32: cheap and reproducible
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = (state / 0xffffffff) * 4 - 2;
  }
  return out;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** OpenAI's error shape, which vLLM also uses. */
export const openAIError = (message: string, type = 'BadRequestError', code?: number) => ({
  error: { message, type, param: null, code: code ?? null },
});

export async function startFakeOpenAIServer(
  opts: Partial<EmbeddingsBehaviour> & { host?: string } = {},
): Promise<FakeOpenAIServer> {
  const routes = new Map<string, RouteHandler>();
  const faults: (Fault & { times: number; path: string })[] = [];
  const requests: LoggedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const takeFault = (path: string): Fault | undefined => {
    const i = faults.findIndex((f) => f.path === path);
    if (i === -1) return undefined;
    const f = faults[i];
    if (--f.times <= 0) faults.splice(i, 1);
    return f;
  };

  const server = http.createServer(async (raw, res) => {
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text === '' ? undefined : text;
    if (text && String(raw.headers['content-type'] ?? '').includes('json')) {
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text: a handler may want to complain about it
      }
    }
    const path = (raw.url ?? '/').split('?')[0];
    const logged: LoggedRequest = { method: raw.method ?? 'GET', path, headers: raw.headers, body, receivedAt: Date.now() };
    requests.push(logged);

    try {
      const fault = takeFault(path);
      if (fault?.delayMs) await wait(fault.delayMs);
      if (res.destroyed) return; // the client gave up (timeout) while we waited
      if (fault?.drop) {
        raw.socket.destroy();
        return;
      }
      if (fault?.status !== undefined) {
        const b = fault.body ?? openAIError(`injected HTTP ${fault.status}`, 'InjectedFault', fault.status);
        if (typeof b === 'string') {
          res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers });
          res.end(b);
        } else sendJson(res, fault.status, b, fault.headers);
        return;
      }
      const handler = routes.get(`${logged.method} ${path}`);
      if (!handler) return sendJson(res, 404, openAIError(`no route ${logged.method} ${path}`, 'NotFoundError', 404));
      await handler({ ...logged, raw }, res);
    } catch (err) {
      sendJson(res, 500, openAIError(`fake server bug: ${(err as Error).message}`, 'InternalServerError', 500));
    }
  });

  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${opts.host ?? '127.0.0.1'}:${port}`;

  const fake: FakeOpenAIServer = {
    origin,
    baseUrl: `${origin}/v1`,
    requests,
    embeddings: {
      model: opts.model ?? 'Qwen/Qwen3-Embedding-8B',
      dim: opts.dim ?? 8,
      shuffle: opts.shuffle ?? false,
      oomAboveBatch: opts.oomAboveBatch,
      oomStatus: opts.oomStatus ?? 413,
    },
    healthStatus: 200,
    fault(f) {
      faults.push({ ...f, times: f.times ?? 1, path: f.path ?? '/v1/embeddings' });
    },
    route(method, path, handler) {
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    requestsTo: (path) => requests.filter((r) => r.path === path),
    embeddingInputs: () =>
      requests
        .filter((r) => r.path === '/v1/embeddings')
        .map((r) => {
          const input = (r.body as { input?: unknown } | undefined)?.input;
          return typeof input === 'string' ? [input] : (input as string[]);
        }),
    reset() {
      requests.length = 0;
      faults.length = 0;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  registerHealth(fake);
  registerModels(fake);
  registerEmbeddings(fake);
  return fake;
}

/** vLLM serves /health at the root: 200 with an empty body when the engine is alive. */
function registerHealth(fake: FakeOpenAIServer): void {
  fake.route('GET', '/health', (_req, res) => {
    res.writeHead(fake.healthStatus);
    res.end(fake.healthStatus === 200 ? '' : 'engine dead');
  });
}

function registerModels(fake: FakeOpenAIServer): void {
  fake.route('GET', '/v1/models', (_req, res) =>
    sendJson(res, 200, {
      object: 'list',
      data: [{ id: fake.embeddings.model, object: 'model', created: 0, owned_by: 'vllm' }],
    }),
  );
}

/** POST /v1/embeddings: one fakeEmbedding per input, `index` per input position. */
function registerEmbeddings(fake: FakeOpenAIServer): void {
  fake.route('POST', '/v1/embeddings', (req, res) => {
    const b = fake.embeddings;
    const body = req.body as { model?: unknown; input?: unknown; encoding_format?: unknown } | undefined;
    if (!body || typeof body !== 'object') return sendJson(res, 400, openAIError('body must be JSON'));
    if (body.model !== b.model) {
      return sendJson(res, 404, openAIError(`The model \`${String(body.model)}\` does not exist.`, 'NotFoundError', 404));
    }
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || input.length === 0 || !input.every((t) => typeof t === 'string')) {
      return sendJson(res, 400, openAIError('input must be a string or a non-empty array of strings'));
    }
    if (body.encoding_format !== undefined && body.encoding_format !== 'float') {
      return sendJson(res, 400, openAIError(`unsupported encoding_format ${String(body.encoding_format)}`));
    }
    if (b.oomAboveBatch !== undefined && input.length > b.oomAboveBatch) {
      return b.oomStatus === 413
        ? sendJson(res, 413, openAIError(`batch of ${input.length} too large`, 'PayloadTooLarge', 413))
        : sendJson(
            res,
            500,
            openAIError('CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total capacity)', 'InternalServerError', 500),
          );
    }
    const data = (input as string[]).map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, b.dim) }));
    if (b.shuffle) data.push(data.shift()!); // rotate by one: deterministic, never the identity for n > 1
    const tokens = (input as string[]).reduce((n, t) => n + t.split(/\s+/).filter(Boolean).length, 0);
    sendJson(res, 200, {
      object: 'list',
      model: b.model,
      data,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  });
}

// ---------------------------------------------------------------------------
// Chat completions (streamed) and rerank, as vLLM serves them. Registered on
// demand: `const chat = registerChatCompletions(fake)`.

/** Epoch milliseconds with sub-millisecond precision, comparable across the processes of one machine. */
export const hrNow = () => performance.timeOrigin + performance.now();

export interface ChatBehaviour {
  model: string;
  /** the reply as the pieces to stream (one chunk each); a function sees the request body */
  reply: string[] | ((body: ChatRequestBody) => string[]);
  /** wait this long after the request before the first piece */
  firstTokenDelayMs: number;
  /** wait this long between pieces */
  tokenDelayMs: number;
}

export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content: string }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  temperature?: number;
}

/** What happened to one streamed completion, for assertions and the bench. */
export interface ChatStreamLog {
  body: ChatRequestBody;
  receivedAt: number;
  /** when the first content piece was written (hrNow) */
  firstTokenAt?: number;
  piecesSent: number;
  /** the client closed the connection before the stream ended (a cancelled generation) */
  closedByClient: boolean;
  completed: boolean;
  /** resolves when the response is over, either way */
  ended: Promise<void>;
}

export interface ChatControl {
  behaviour: ChatBehaviour;
  streams: ChatStreamLog[];
}

export function registerChatCompletions(fake: FakeOpenAIServer, opts: Partial<ChatBehaviour> = {}): ChatControl {
  const control: ChatControl = {
    behaviour: {
      model: opts.model ?? 'Qwen/Qwen3-8B',
      reply: opts.reply ?? ['The ', 'answer ', 'is ', 'in ', 'the ', 'first ', 'source ', '[1]', '.'],
      firstTokenDelayMs: opts.firstTokenDelayMs ?? 0,
      tokenDelayMs: opts.tokenDelayMs ?? 0,
    },
    streams: [],
  };
  fake.route('POST', '/v1/chat/completions', async (req, res) => {
    const b = control.behaviour;
    const body = req.body as ChatRequestBody | undefined;
    if (!body || typeof body !== 'object' || !Array.isArray(body.messages) || body.messages.length === 0) {
      return sendJson(res, 400, openAIError('messages must be a non-empty array'));
    }
    if (body.model !== b.model) return sendJson(res, 404, openAIError(`The model \`${String(body.model)}\` does not exist.`, 'NotFoundError', 404));
    const pieces = typeof b.reply === 'function' ? b.reply(body) : b.reply;
    const promptTokens = body.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
    const id = `chatcmpl-${control.streams.length + 1}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      return sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: b.model,
        choices: [{ index: 0, message: { role: 'assistant', content: pieces.join('') }, finish_reason: 'stop' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: pieces.length, total_tokens: promptTokens + pieces.length },
      });
    }
    let end!: () => void;
    const log: ChatStreamLog = { body, receivedAt: hrNow(), piecesSent: 0, closedByClient: false, completed: false, ended: new Promise((r) => (end = r)) };
    control.streams.push(log);
    res.on('close', () => {
      if (!res.writableFinished) log.closedByClient = true;
      end();
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.socket?.setNoDelay(true);
    const chunk = (delta: object, finish: string | null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: b.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const sleep = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
    res.write(chunk({ role: 'assistant', content: '' }, null));
    await sleep(b.firstTokenDelayMs);
    for (let i = 0; i < pieces.length; i++) {
      if (res.destroyed || log.closedByClient) return;
      if (i > 0) await sleep(b.tokenDelayMs);
      if (res.destroyed || log.closedByClient) return;
      res.write(chunk({ content: pieces[i] }, null));
      if (i === 0) log.firstTokenAt = hrNow();
      log.piecesSent++;
    }
    res.write(chunk({}, 'stop'));
    if (body.stream_options?.include_usage) {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: b.model, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: pieces.length, total_tokens: promptTokens + pieces.length } })}\n\n`,
      );
    }
    res.write('data: [DONE]\n\n');
    log.completed = true;
    res.end();
  });
  return control;
}

export interface RerankBehaviour {
  model: string;
  /** relevance of a document to the query; default: how many query words it contains */
  score: (query: string, document: string) => number;
}

/** POST /v1/rerank as vLLM serves it: `{model, query, documents, top_n?}` → `{results: [{index, document, relevance_score}]}`, best first. */
export function registerRerank(fake: FakeOpenAIServer, opts: Partial<RerankBehaviour> = {}): RerankBehaviour {
  const behaviour: RerankBehaviour = {
    model: opts.model ?? 'BAAI/bge-reranker-v2-m3',
    score:
      opts.score ??
      ((query, doc) => {
        const words = new Set(query.toLowerCase().match(/\w+/g) ?? []);
        return (doc.toLowerCase().match(/\w+/g) ?? []).filter((w) => words.has(w)).length;
      }),
  };
  fake.route('POST', '/v1/rerank', (req, res) => {
    const body = req.body as { model?: string; query?: unknown; documents?: unknown; top_n?: number } | undefined;
    if (!body || typeof body.query !== 'string' || !Array.isArray(body.documents) || !body.documents.every((d) => typeof d === 'string')) {
      return sendJson(res, 400, openAIError('query must be a string and documents an array of strings'));
    }
    if (body.model !== undefined && body.model !== behaviour.model) {
      return sendJson(res, 404, openAIError(`The model \`${body.model}\` does not exist.`, 'NotFoundError', 404));
    }
    const results = (body.documents as string[])
      .map((text, index) => ({ index, document: { text }, relevance_score: behaviour.score(body.query as string, text) }))
      .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
      .slice(0, body.top_n ?? body.documents.length);
    sendJson(res, 200, { id: `rerank-${Date.now()}`, model: behaviour.model, usage: { total_tokens: 0 }, results });
  });
  return behaviour;
}
