import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeEmbedding, openAIError, sendJson } from './fakeOpenAIServer.js';
import { SimulatedEngine, simulatedTokens, type EngineStats, type GpuServiceModel } from './simulatedGpuEngine.js';

/**
 * One simulated GPU behind an OpenAI-compatible `/v1/embeddings` endpoint,
 * as a vLLM server per device would be: each request's inputs go through
 * a SimulatedEngine and are answered when the engine has computed them,
 * with deterministic vectors (fakeEmbedding) of the configured dim.
 * Also serves root /health, /v1/models, and GET /sim/stats, POST /sim/reset
 * and POST /sim/fault for the bench.
 */

export interface SimulatedGpuOptions {
  model: GpuServiceModel;
  dim: number;
  servedModel?: string;
  /** Inputs above this count answer as CUDA out of memory (a learned-safe-size test). */
  oomAboveBatch?: number;
}

/** A fault the bench or a test can switch on at run time. */
export interface SimulatedGpuFault {
  /** Multiply step durations by this (1 = healthy). */
  slowdown?: number;
  /** Answer every embeddings request with 500 "CUDA out of memory" when more than this many inputs. */
  oomAboveBatch?: number | null;
  /** Drop every connection and fail /health: a dead device. */
  dead?: boolean;
}

export interface SimulatedGpuStats extends EngineStats {
  /** inputs answered with vectors (200): what the device delivered, unlike `sequences`, which it computed */
  answered: number;
  /** requests refused (OOM) or dropped (dead) */
  failedRequests: number;
  /** embeddings requests being served now, and the most at once since the last reset */
  inFlight: number;
  maxInFlight: number;
  dim: number;
  model: GpuServiceModel;
}

export interface SimulatedGpu {
  readonly baseUrl: string;
  readonly engine: SimulatedEngine;
  fault(f: SimulatedGpuFault): void;
  stats(): SimulatedGpuStats;
  reset(): void;
  close(): Promise<void>;
}

export async function startSimulatedGpu(opts: SimulatedGpuOptions): Promise<SimulatedGpu> {
  const engine = new SimulatedEngine(opts.model);
  const served = opts.servedModel ?? 'Qwen/Qwen3-Embedding-8B';
  let oomAbove = opts.oomAboveBatch;
  let dead = false;
  let answered = 0;
  let failedRequests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const applyFault = (f: SimulatedGpuFault) => {
    if (f.slowdown !== undefined) engine.slowdown = f.slowdown;
    if (f.oomAboveBatch !== undefined) oomAbove = f.oomAboveBatch ?? undefined;
    if (f.dead !== undefined) dead = f.dead;
  };

  const readBody = async (req: http.IncomingMessage): Promise<unknown> => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    const text = Buffer.concat(parts).toString('utf8');
    return text ? JSON.parse(text) : undefined;
  };

  const stats = (): SimulatedGpuStats => ({ ...engine.stats, answered, failedRequests, inFlight, maxInFlight, dim: opts.dim, model: engine.model });
  const reset = () => {
    engine.resetStats();
    answered = 0;
    failedRequests = 0;
    maxInFlight = inFlight;
  };

  const server = http.createServer(async (req, res) => {
    const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    if (dead && !route.includes('/sim/')) {
      if (route === 'POST /v1/embeddings') failedRequests++;
      req.socket.destroy();
      return;
    }
    try {
      switch (route) {
        case 'GET /health':
          res.writeHead(200).end();
          return;
        case 'GET /v1/models':
          return sendJson(res, 200, { object: 'list', data: [{ id: served, object: 'model', created: 0, owned_by: 'vllm' }] });
        case 'GET /metrics': {
          // what a real vLLM's Prometheus endpoint says, by the same names: scripts/gpu-smoke.sh reads only these
          const label = `{model_name="${served}"}`;
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
          res.end(
            [
              `vllm:num_requests_running${label} ${engine.runningRequests}`,
              `vllm:num_requests_waiting${label} ${engine.waitingRequests}`,
              `vllm:request_success_total{finished_reason="stop",model_name="${served}"} ${engine.stats.sequences}`,
              `vllm:prompt_tokens_total${label} ${engine.stats.tokens}`,
              '',
            ].join('\n'),
          );
          return;
        }
        case 'GET /sim/stats':
          return sendJson(res, 200, stats());
        case 'POST /sim/reset':
          reset();
          return sendJson(res, 200, { ok: true });
        case 'POST /sim/fault': {
          applyFault(((await readBody(req)) ?? {}) as SimulatedGpuFault);
          return sendJson(res, 200, { ok: true });
        }
        case 'POST /v1/embeddings': {
          const body = (await readBody(req)) as { model?: unknown; input?: unknown } | undefined;
          if (!body || body.model !== served) return sendJson(res, 404, openAIError(`The model \`${String(body?.model)}\` does not exist.`, 'NotFoundError', 404));
          const input = typeof body.input === 'string' ? [body.input] : body.input;
          if (!Array.isArray(input) || input.length === 0 || !input.every((t) => typeof t === 'string')) {
            return sendJson(res, 400, openAIError('input must be a string or a non-empty array of strings'));
          }
          if (oomAbove !== undefined && input.length > oomAbove) {
            failedRequests++;
            return sendJson(res, 500, openAIError('CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.10 GiB total capacity)', 'InternalServerError', 500));
          }
          const tokens = (input as string[]).map((t) => simulatedTokens(engine.model, t));
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          try {
            await engine.submit(tokens);
          } finally {
            inFlight--;
          }
          if (dead) {
            failedRequests++;
            return void req.socket.destroy();
          }
          answered += input.length;
          const total = tokens.reduce((a, b) => a + b, 0);
          return sendJson(res, 200, {
            object: 'list',
            model: served,
            data: (input as string[]).map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(text, opts.dim) })),
            usage: { prompt_tokens: total, total_tokens: total },
          });
        }
        default:
          return sendJson(res, 404, openAIError(`no route ${route}`, 'NotFoundError', 404));
      }
    } catch (err) {
      sendJson(res, 400, openAIError(`bad request: ${(err as Error).message}`));
    }
  });
  // keep-alive sockets must outlive a long engine queue
  server.keepAliveTimeout = 60_000;
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    engine,
    fault: applyFault,
    stats,
    reset,
    async close() {
      engine.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
