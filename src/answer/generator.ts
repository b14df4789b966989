import type { ChatMessage, PromptChunk } from './prompt.js';

/**
 * The generator port: turns the built prompt into a stream of text pieces.
 * Adapters: OpenAI/vLLM chat completions with `stream: true`
 * (generatorOpenAI.ts) and the extractive answer that needs no model
 * (generatorExtractive.ts). Both stream through the same path, so clients
 * cannot tell them apart except by the words.
 */

export interface GenerateInput {
  question: string;
  /** the numbered sources, as the prompt shows them */
  chunks: PromptChunk[];
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  /** aborting closes the model's HTTP stream */
  signal?: AbortSignal;
}

export type GeneratorDelta =
  | { type: 'text'; text: string }
  /** token counts as the server reports them (OpenAI `usage`) */
  | { type: 'usage'; promptTokens?: number; completionTokens?: number }
  | { type: 'finish'; reason: string };

export interface Generator {
  /** "llm" for a chat model, "extractive" for the built-in snippet answer */
  readonly kind: 'llm' | 'extractive';
  readonly model: string;
  stream(input: GenerateInput): AsyncIterable<GeneratorDelta>;
}

