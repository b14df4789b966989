import { z } from 'zod';
import { httpUrl, int, num, optionalText, text } from './parsers.js';
import { optionalWhenUnset } from './shape.js';

/** Answer generation (an OpenAI-compatible LLM) and the answer streams and sessions in Redis. */
export const answersSection = z
  .object({
    LLM_URL: httpUrl(),
    LLM_MODEL: text('Qwen/Qwen3-8B'),
    LLM_API_KEY: optionalText(),
    LLM_MAX_TOKENS: int(512, 1),
    LLM_TEMPERATURE: num(0.2, 0, 2),
    PROMPT_TOKEN_BUDGET: int(6000, 64),
    ANSWER_STREAM_TTL_S: int(3600, 1),
    ANSWER_STREAM_MAXLEN: int(10_000, 16),
    SESSION_TTL_S: int(3600, 1),
    ANSWER_CANCEL_GRACE_MS: int(5_000, 0),
    /** SSE answer streams one API process serves at once; one more gets 503 with Retry-After */
    ANSWER_MAX_STREAMS: int(256, 1),
    /** how long one SSE stream may stay open; then it ends and the client resumes with Last-Event-ID */
    ANSWER_STREAM_MAX_S: int(900, 1),
  })
  .transform((e) => ({
    generation: optionalWhenUnset({
      url: e.LLM_URL,
      model: e.LLM_MODEL,
      apiKey: e.LLM_API_KEY,
      maxTokens: e.LLM_MAX_TOKENS,
      temperature: e.LLM_TEMPERATURE,
      promptTokenBudget: e.PROMPT_TOKEN_BUDGET,
    }),
    answers: {
      streamTtlS: e.ANSWER_STREAM_TTL_S,
      streamMaxLen: e.ANSWER_STREAM_MAXLEN,
      sessionTtlS: e.SESSION_TTL_S,
      /** how long an answer whose last SSE client left waits for one to come back before it is cancelled */
      cancelGraceMs: e.ANSWER_CANCEL_GRACE_MS,
      maxStreams: e.ANSWER_MAX_STREAMS,
      streamMaxMs: e.ANSWER_STREAM_MAX_S * 1000,
    },
  }));
