import { estimateTokens } from '../chunking/tokens.js';

/**
 * The prompt, built deterministically from the ranked chunks: the same
 * question and chunks give the same bytes (so vLLM's prefix cache can reuse
 * it), chunks go in rank order, each numbered [n] for the model to cite, and
 * the whole prompt stays within a token budget (estimated, see tokens.ts).
 * A chunk that does not fit whole is cut at a line boundary (its line range
 * shrinks with it, so citations stay exact) and nothing after it goes in.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface RankedChunk {
  chunkId: string;
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  content: string;
  score: number;
  channels: Record<string, number>;
}

export interface PromptChunk extends RankedChunk {
  /** the number the model cites, 1-based */
  n: number;
  /** the chunk was cut to fit the budget (endLine is the last line kept) */
  truncated: boolean;
}

export interface BuiltPrompt {
  messages: ChatMessage[];
  chunks: PromptChunk[];
  estimatedTokens: number;
  /** ranked chunks that did not fit */
  omitted: number;
}

/** Below this many tokens of room, a cut chunk is more noise than help. */
const MIN_PARTIAL_TOKENS = 48;

export function systemPrompt(repo: string): string {
  return (
    `You answer questions about the code repository "${repo}" using only the numbered sources in the user's message. ` +
    'After each statement, cite the sources that support it as [n], for example [1] or [2][3]. ' +
    'Quote code exactly when you show it. If the sources do not contain the answer, say so briefly.'
  );
}

export function sourceBlock(n: number, c: { path: string; startLine: number; endLine: number; language: string }, content: string): string {
  return `[${n}] ${c.path}:${c.startLine}-${c.endLine} (${c.language})\n\`\`\`${c.language}\n${content}\n\`\`\`\n\n`;
}

export function buildPrompt(input: { repo: string; question: string; chunks: RankedChunk[]; tokenBudget: number }): BuiltPrompt {
  const system = systemPrompt(input.repo);
  const head = 'Sources:\n\n';
  const tail = `Question: ${input.question.trim()}`;
  let used = estimateTokens(system) + estimateTokens(head) + estimateTokens(tail);
  const chunks: PromptChunk[] = [];
  const blocks: string[] = [];
  let i = 0;
  for (; i < input.chunks.length; i++) {
    const c = input.chunks[i];
    const n = chunks.length + 1;
    const block = sourceBlock(n, c, c.content);
    const cost = estimateTokens(block);
    if (used + cost <= input.tokenBudget) {
      blocks.push(block);
      chunks.push({ ...c, n, truncated: false });
      used += cost;
      continue;
    }
    const room = input.tokenBudget - used;
    if (room >= MIN_PARTIAL_TOKENS) {
      const cut = cutToFit(n, c, room);
      if (cut) {
        blocks.push(cut.block);
        chunks.push({ ...c, n, content: cut.content, endLine: cut.endLine, truncated: true });
        used += estimateTokens(cut.block);
        i++;
      }
    }
    break;
  }
  const user = `${head}${blocks.join('')}${tail}`;
  return {
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    chunks,
    estimatedTokens: used,
    omitted: input.chunks.length - i,
  };
}

/** The longest prefix of whole lines whose block fits in `room` tokens, or null when not even one line does. */
function cutToFit(n: number, c: RankedChunk, room: number): { block: string; content: string; endLine: number } | null {
  const lines = c.content.split('\n');
  let lo = 0;
  let hi = lines.length - 1;
  let best: { block: string; content: string; endLine: number } | null = null;
  // block size grows with the line count: binary search the count
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const content = lines.slice(0, mid + 1).join('\n');
    const endLine = Math.min(c.endLine, c.startLine + mid);
    const block = sourceBlock(n, { ...c, endLine }, content);
    if (estimateTokens(block) <= room) {
      best = { block, content, endLine };
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
