import type { Logger } from '../observability/logger.js';
import { GeneratorError } from '../errors/generatorError.js';
import { type GenerateInput, type Generator, type GeneratorDelta } from './generator.js';
import { readSse } from './sse.js';

/**
 * OpenAI-compatible chat completions, streamed (vLLM serves the same
 * protocol): POST {LLM_URL}/chat/completions with `stream: true`; the answer
 * arrives as SSE `data:` lines of `chat.completion.chunk` objects, ending
 * with `data: [DONE]`. LLM_URL is the OpenAI base URL, `/v1` included.
 * Aborting the input's signal closes the HTTP connection, which is how vLLM
 * learns to stop generating.
 */

export interface OpenAIChatConfig {
  url: string;
  model: string;
  apiKey?: string;
  /** give up when no response headers arrive within this long (default 30 s) */
  headersTimeoutMs?: number;
  /** give up when the stream stays silent this long between pieces (default 60 s) */
  idleTimeoutMs?: number;
}

export interface OpenAIChatDeps {
  fetch?: typeof fetch;
  logger?: Pick<Logger, 'debug' | 'warn'>;
}

interface ChatChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

export function chatCompletionsUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
}

export function createOpenAIChatGenerator(cfg: OpenAIChatConfig, deps: OpenAIChatDeps = {}): Generator {
  const doFetch = deps.fetch ?? fetch;
  const url = chatCompletionsUrl(cfg.url);
  const headersTimeoutMs = cfg.headersTimeoutMs ?? 30_000;
  const idleTimeoutMs = cfg.idleTimeoutMs ?? 60_000;

  return {
    kind: 'llm',
    model: cfg.model,
    async *stream(input: GenerateInput): AsyncGenerator<GeneratorDelta> {
      const timeout = new AbortController();
      let timer = setTimeout(() => timeout.abort(new GeneratorError(`no answer from ${url} within ${headersTimeoutMs} ms`)), headersTimeoutMs);
      const rearm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => timeout.abort(new GeneratorError(`the model stream stalled for ${idleTimeoutMs} ms`)), idleTimeoutMs);
      };
      const signal = input.signal ? AbortSignal.any([input.signal, timeout.signal]) : timeout.signal;
      try {
        let res: Response;
        try {
          res = await doFetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'text/event-stream',
              ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}),
            },
            body: JSON.stringify({
              model: cfg.model,
              messages: input.messages,
              stream: true,
              stream_options: { include_usage: true },
              max_tokens: input.maxTokens,
              temperature: input.temperature,
            }),
            signal,
          });
        } catch (err) {
          throw abortReason(signal, err) ?? new GeneratorError(`cannot reach the chat model at ${url}: ${causeOf(err)}`);
        }
        if (!res.ok || !res.body) {
          const text = await res.text().catch(() => '');
          // 4xx other than 408/429 will fail the same way again: say so
          const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
          throw new GeneratorError(`the chat model answered HTTP ${res.status}: ${serverMessage(text)}`, res.status, retryable);
        }
        rearm();
        try {
          for await (const msg of readSse(res.body, signal)) {
            rearm();
            if (msg.data === '[DONE]') return;
            let chunk: ChatChunk;
            try {
              chunk = JSON.parse(msg.data) as ChatChunk;
            } catch {
              throw new GeneratorError(`the chat model sent a stream line that is not JSON: ${msg.data.slice(0, 200)}`);
            }
            if (chunk.error) throw new GeneratorError(`the chat model reported an error mid-stream: ${chunk.error.message ?? 'unknown'}`);
            const choice = chunk.choices?.[0];
            const text = choice?.delta?.content;
            if (text) yield { type: 'text', text };
            if (choice?.finish_reason) yield { type: 'finish', reason: choice.finish_reason };
            if (chunk.usage) yield { type: 'usage', promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
          }
        } catch (err) {
          throw abortReason(signal, err) ?? err;
        }
        if (signal.aborted) throw abortReason(signal, undefined)!;
        // a stream that ends without [DONE] was cut off
        throw new GeneratorError('the chat model stream ended before [DONE]');
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function abortReason(signal: AbortSignal, err: unknown): unknown {
  if (!signal.aborted) return null;
  return signal.reason ?? err;
}

function causeOf(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string };
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}

function serverMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string; detail?: string };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message ?? j.detail);
    if (m) return m.slice(0, 500);
  } catch {
    // not JSON
  }
  return text.slice(0, 500) || '(empty body)';
}
