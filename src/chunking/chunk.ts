import { createHash } from 'node:crypto';

/** A piece of a source file: the unit that is embedded, expanded and searched. */
export interface Chunk {
  /** Content-derived id: sha256(path + NUL + text), hex, first 32 chars. Stable across runs. */
  id: string;
  /** Path relative to the repo root, with forward slashes. */
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
  language: string;
  /** Names of the functions/classes/methods the chunk covers (may be empty). */
  symbols: string[];
  /** Doc comments (and docstrings) of those definitions, without comment markers; '' when none. Also inside `text`. */
  doc?: string;
  text: string;
}

export function chunkId(path: string, text: string): string {
  return createHash('sha256').update(path).update('\0').update(text).digest('hex').slice(0, 32);
}
