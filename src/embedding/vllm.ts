import { Agent, request, type Dispatcher } from 'undici';
import type { Config } from '../config/index.js';
import { EmbeddingError } from '../errors/embeddingError.js';
import { l2Normalize, type Embedder } from './port.js';
import { OutOfMemoryError } from '../errors/outOfMemoryError.js';
import { type EmbeddingContract } from '../contracts/embedding.js';
import { createTruncator, loadQwen3Tokenizer, type TextTokenizer } from './qwenTokenizer.js';
import { parseRetryAfter, retry, TimeoutError, withTimeout, type Sleep } from '../resilience/index.js';
import { classifyFailure, parseEmbeddings, serverMessage } from './vllmResponse.js';
import { embeddingsUrl, resolveHealthUrl } from './vllmUrls.js';
import { packByTokens, tokenUpperBound } from './tokenBudget.js';

/**
 * The vLLM adapter: OpenAI-compatible POST {VLLM_URL}/embeddings over a
 * keep-alive undici Agent. Owns batching, in-call dedupe, order restoration,
 * normalisation, token truncation, timeouts and retries; leaves halving a
 * batch after OutOfMemoryError to the caller.
 */

export type VllmConfig = Config['vllm'];

/** pino-compatible subset, so any structured logger fits. */
export interface EmbedLogger {
  warn(obj: object, msg?: string): void;
}

/** One HTTP batch as seen by metrics: latency spans all attempts. */
export interface BatchObservation {
  size: number;
  latencyMs: number;
  ok: boolean;
  attempts: number;
  outcome: 'ok' | 'oom' | 'error';
}

export interface VllmEmbedderDeps {
  /** Shared dispatcher (e.g. a MockAgent or a process-wide Agent). Not closed by close(). */
  dispatcher?: Dispatcher;
  sleep?: Sleep;
  /** [0,1) source for backoff jitter. */
  random?: () => number;
  /** Monotonic milliseconds, for latency. */
  now?: () => number;
  logger?: EmbedLogger;
  onBatch?: (batch: BatchObservation) => void;
  /** When known (e.g. from the manifest), a server answering another dim is an error from the first call. */
  expectedDim?: number;
  /** Tokenizer used for truncation; default: the bundled Qwen3 tokenizer, loaded on first need. */
  loadTokenizer?: () => Promise<TextTokenizer>;
  /** Cap on a server's Retry-After (default 30 s): a confused proxy must not park a worker for hours. */
  retryAfterCapMs?: number;
  /**
   * Tokens kept free below maxModelLen (default 1): Qwen3-Embedding's server-side
   * tokenizer appends <|endoftext|> for last-token pooling, which our count does not see.
   */
  reservedTokens?: number;
}

export interface VllmEmbedder extends Embedder {
  /** Embed one short text to learn (and pin) the model's dimension. */
  probeDim(signal?: AbortSignal): Promise<number>;
}

export function createVllmEmbedder(cfg: VllmConfig, deps: VllmEmbedderDeps = {}): VllmEmbedder {
  if (!cfg.url) throw new EmbeddingError('VLLM_URL is not set', { retryable: false });
  const url = embeddingsUrl(cfg.url);
  const healthUrl = resolveHealthUrl(cfg.url, cfg.healthPath);
  const ownAgent = deps.dispatcher
    ? undefined
    : new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, allowH2: cfg.http2 });
  const dispatcher: Dispatcher = deps.dispatcher ?? ownAgent!;
  const now = deps.now ?? (() => performance.now());
  const retryAfterCapMs = deps.retryAfterCapMs ?? 30_000;
  const reservedTokens = deps.reservedTokens ?? 1;
  const truncator = createTruncator(Math.max(1, cfg.maxModelLen - reservedTokens), deps.loadTokenizer ?? loadQwen3Tokenizer);
  let dim = deps.expectedDim ?? 0;
  let closed = false;

  const headers = { 'content-type': 'application/json', accept: 'application/json' };

  /** One HTTP attempt within cfg.timeoutMs; throws OutOfMemoryError or a classified EmbeddingError. */
  async function attemptOnce(inputs: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    try {
      return await withTimeout((combined) => exchange(inputs, combined, signal), cfg.timeoutMs, { signal });
    } catch (err) {
      if (err instanceof TimeoutError) throw new EmbeddingError(`timed out after ${cfg.timeoutMs} ms`, { retryable: true, url, cause: err });
      throw err;
    }
  }

  /** The HTTP exchange of one attempt; `combined` aborts on the caller's signal or the attempt's timeout. */
  async function exchange(inputs: string[], combined: AbortSignal, signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const body = JSON.stringify({ model: cfg.model, input: inputs, encoding_format: 'float' });
    try {
      const res = await request(url, { method: 'POST', headers, body, signal: combined, dispatcher });
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        let json: unknown;
        try {
          json = await res.body.json();
        } catch (err) {
          if (combined.aborted) throw err;
          throw new EmbeddingError(`vLLM at ${url} answered HTTP ${status} with a body that is not JSON`, {
            retryable: false,
            status,
            url,
          });
        }
        try {
          return parseEmbeddings(json, inputs.length);
        } catch (err) {
          throw new EmbeddingError(`vLLM at ${url} returned an invalid embeddings answer: ${(err as Error).message}`, {
            retryable: false,
            status,
            url,
          });
        }
      }
      const message = serverMessage(await res.body.text());
      const kind = classifyFailure(status, message);
      if (kind === 'oom') {
        throw new OutOfMemoryError(
          `vLLM at ${url} ran out of memory on a batch of ${inputs.length} (HTTP ${status}): ${message}`,
          inputs.length,
        );
      }
      if (kind === 'fatal') {
        throw new EmbeddingError(`vLLM at ${url} rejected the request (HTTP ${status}): ${message}`, {
          retryable: false,
          status,
          url,
        });
      }
      // Overload or a restarting engine: retryable; 429/503 may say how long to wait.
      throw new EmbeddingError(`HTTP ${status}: ${message}`, {
        retryable: true,
        status,
        url,
        retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], Date.now()) : undefined,
      });
    } catch (err) {
      if (err instanceof EmbeddingError || err instanceof OutOfMemoryError) throw err;
      if (signal?.aborted) throw signal.reason ?? err; // the caller gave up: not our failure
      if (combined.aborted) throw combined.reason; // our timeout: attemptOnce has already answered for it
      const e = err as { code?: string; name?: string; message?: string };
      throw new EmbeddingError(`${e.code ?? e.name ?? 'Error'}: ${e.message}`, { retryable: true, url, cause: err });
    }
  }

  /** One batch with retries, dim checks, normalisation and a metrics observation. */
  async function embedBatch(inputs: string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const started = now();
    let attempts = 0;
    const observe = (outcome: BatchObservation['outcome']) =>
      deps.onBatch?.({ size: inputs.length, latencyMs: now() - started, ok: outcome === 'ok', attempts, outcome });
    try {
      const rows = await retry(
        (attempt) => {
          attempts = attempt;
          return attemptOnce(inputs, signal);
        },
        {
          attempts: cfg.maxRetries + 1,
          baseDelayMs: cfg.retryBackoffMs,
          serverDelay: { of: (err) => (err instanceof EmbeddingError ? err.retryAfterMs : undefined), capMs: retryAfterCapMs },
          sleep: deps.sleep,
          random: deps.random,
          signal,
          retryable: (err) => err instanceof EmbeddingError && err.retryable,
          onRetry: ({ attempt, delayMs, error }) =>
            deps.logger?.warn(
              { url, attempt, delayMs, batchSize: inputs.length, err: (error as Error).message },
              'vLLM embeddings call failed; retrying',
            ),
        },
      );
      checkDim(rows[0].length);
      if (cfg.normalize) for (const row of rows) l2Normalize(row);
      observe('ok');
      return rows;
    } catch (err) {
      observe(err instanceof OutOfMemoryError ? 'oom' : 'error');
      if (err instanceof EmbeddingError && err.retryable) {
        throw new EmbeddingError(
          `vLLM embeddings at ${url} unavailable after ${attempts} attempt(s): ${err.message}`,
          { retryable: true, status: err.status, url, cause: err },
        );
      }
      throw err;
    }
  }

  function checkDim(got: number) {
    if (dim === 0) dim = got;
    else if (got !== dim) {
      throw new EmbeddingError(
        `vLLM at ${url} returned vectors of dim ${got}, but this embedder's contract has dim ${dim} (model ${cfg.model}); was the served model changed?`,
        { retryable: false, url },
      );
    }
  }

  /**
   * The requests of one call: at most VLLM_BATCH_SIZE inputs and VLLM_BATCH_MAX_TOKENS tokens each
   * (the server's end-of-text token included). Texts are tokenized for it only when their byte
   * counts, an upper bound, do not already fit.
   */
  async function requestRuns(inputs: string[]): Promise<Array<{ start: number; end: number }>> {
    const bounds = inputs.map((t) => tokenUpperBound(t) + reservedTokens);
    const counts = bounds.some((b) => b > cfg.batchMaxTokens) || bounds.reduce((a, b) => a + b, 0) > cfg.batchMaxTokens
      ? await Promise.all(inputs.map(async (t) => (await truncator.countTokens(t)) + reservedTokens))
      : bounds;
    return packByTokens(counts, cfg.batchSize, cfg.batchMaxTokens);
  }

  async function embedDocuments(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (closed) throw new EmbeddingError('vLLM embedder is closed', { retryable: false, url });
    if (texts.length === 0) return [];
    // Identical texts (license headers, generated code) are embedded once per call.
    const slotOf = new Map<string, number>();
    const slots = texts.map((t) => {
      let s = slotOf.get(t);
      if (s === undefined) slotOf.set(t, (s = slotOf.size));
      return s;
    });
    const distinct = [...slotOf.keys()];
    const inputs: string[] = [];
    for (const t of distinct) inputs.push(await truncator.truncate(t));

    const vectors: Float32Array[] = [];
    for (const run of await requestRuns(inputs)) {
      vectors.push(...(await embedBatch(inputs.slice(run.start, run.end), signal)));
    }
    // Repeats get their own copy so a caller mutating one row cannot change another.
    const handedOut = new Set<number>();
    return slots.map((s) => {
      if (handedOut.has(s)) return vectors[s].slice();
      handedOut.add(s);
      return vectors[s];
    });
  }

  const queryText = (q: string) => (cfg.queryInstruction ? `Instruct: ${cfg.queryInstruction}\nQuery:${q}` : q);

  return {
    get contract(): EmbeddingContract {
      return {
        model: cfg.model,
        provider: 'vllm',
        dim,
        dtype: 'float32',
        pooling: cfg.pooling,
        normalize: cfg.normalize,
        queryInstruction: cfg.queryInstruction,
      };
    },
    embedDocuments,
    async embedQuery(text, signal) {
      const [row] = await embedDocuments([queryText(text)], signal);
      return row;
    },
    async probeDim(signal) {
      const [row] = await embedDocuments(['dimension probe'], signal);
      return row.length;
    },
    async health() {
      if (closed) return { ok: false, detail: 'embedder is closed' };
      try {
        const { res, text } = await withTimeout(async (signal) => {
          const res = await request(healthUrl, { method: 'GET', signal, dispatcher });
          return { res, text: await res.body.text() };
        }, cfg.timeoutMs);
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        return { ok, detail: ok ? `HTTP ${res.statusCode}` : `HTTP ${res.statusCode}: ${serverMessage(text)}`.trim() };
      } catch (err) {
        const e = err as { code?: string; name?: string; message?: string };
        return { ok: false, detail: `${healthUrl}: ${e.code ?? e.name ?? 'Error'}: ${e.message}` };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await ownAgent?.close();
    },
  };
}
