import { tokenize } from '../text/codeTokenizer.js';
import type { GenerateInput, Generator, GeneratorDelta } from './generator.js';
import type { PromptChunk } from './prompt.js';

/**
 * The answer when no chat model is configured: the best snippets of the top
 * sources, each with its path, lines and citation number, streamed piece by
 * piece through the same path as a model's tokens (so `[n]` citations fire
 * the same way). The snippet of a source is the window of lines that shares
 * the most terms with the question.
 */

export const EXTRACTIVE_MODEL = 'extractive-snippets-v1';

export interface ExtractiveOptions {
  /** sources quoted (default 3) */
  maxSnippets?: number;
  /** lines per snippet (default 12) */
  snippetLines?: number;
  /** the first sentence, saying why the answer is extractive */
  intro?: string;
}

export const NO_MODEL_INTRO = 'No language model is configured, so here are the most relevant passages of the code.';
export const MODEL_FAILED_INTRO = 'The language model could not answer, so here are the most relevant passages of the code.';

export function createExtractiveGenerator(opts: ExtractiveOptions = {}): Generator {
  const maxSnippets = opts.maxSnippets ?? 3;
  const snippetLines = opts.snippetLines ?? 12;
  const intro = opts.intro ?? NO_MODEL_INTRO;
  return {
    kind: 'extractive',
    model: EXTRACTIVE_MODEL,
    async *stream(input: GenerateInput): AsyncGenerator<GeneratorDelta> {
      const text = extractiveAnswer(input.question, input.chunks, maxSnippets, snippetLines, intro);
      let pieces = 0;
      for (const piece of text.match(/\s*\S+|\s+$/g) ?? []) {
        if (input.signal?.aborted) throw input.signal.reason;
        pieces++;
        yield { type: 'text', text: piece };
        // let other answers and the publisher's writes interleave
        if (pieces % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      yield { type: 'usage', completionTokens: pieces };
      yield { type: 'finish', reason: 'stop' };
    },
  };
}

export function extractiveAnswer(question: string, chunks: PromptChunk[], maxSnippets = 3, snippetLines = 12, intro = NO_MODEL_INTRO): string {
  if (chunks.length === 0) return 'No indexed code matches this question.';
  const terms = new Set(tokenize(question));
  const parts = [`${intro}\n`];
  for (const c of chunks.slice(0, maxSnippets)) {
    const { from, lines } = bestWindow(c.content.split('\n'), terms, snippetLines);
    const start = c.startLine + from;
    const end = start + lines.length - 1;
    parts.push(`\n[${c.n}] ${c.path} lines ${start}-${end}:\n\`\`\`${c.language}\n${lines.join('\n')}\n\`\`\`\n`);
  }
  return parts.join('');
}

/** The `size`-line window with the most question terms, starting at a matching line where that costs nothing. */
function bestWindow(lines: string[], terms: Set<string>, size: number): { from: number; lines: string[] } {
  if (lines.length <= size) return { from: 0, lines: trimBlank(lines) };
  const score = lines.map((l) => tokenize(l).filter((t) => terms.has(t)).length);
  let sum = score.slice(0, size).reduce((a, b) => a + b, 0);
  let best = sum;
  let from = 0;
  for (let i = size; i < lines.length; i++) {
    sum += score[i] - score[i - size];
    if (sum > best) {
      best = sum;
      from = i - size + 1;
    }
  }
  // slide on while that loses nothing, so the snippet starts at its first matching line (a def, not the blank before it)
  while (from + size < lines.length && score[from] === 0 && score[from + size] === 0) from++;
  return { from, lines: lines.slice(from, from + size) };
}

function trimBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 1 && lines[end - 1].trim() === '') end--;
  return lines.slice(0, end);
}
