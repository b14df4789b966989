/**
 * The definition lines of a chunk: for each symbol it names, the first line
 * that spells the symbol's own name (the last part of a qualified name) as a
 * word and is not a comment. That line is the signature ranking weighs apart
 * from the body, and the line a hit shows first.
 */

const COMMENT_LINE = /^\s*(\/\/|\/\*|\*|#(?![[!])|--|"""|''')/;
const MAX_SIGNATURES = 8;

export interface DefinitionLine {
  /** 0-based line index within the chunk text */
  index: number;
  text: string;
  /** the symbol this line defines */
  symbol: string;
}

/** The short name of a qualified symbol: `Router.HandleFunc` -> `HandleFunc`, `a::b::c` -> `c`. */
export function shortName(symbol: string): string {
  const parts = symbol.split(/::|[.#/\\]|->/).filter(Boolean);
  return parts.at(-1) ?? symbol;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function definitionLines(text: string, symbols: readonly string[]): DefinitionLine[] {
  if (symbols.length === 0) return [];
  const lines = text.split('\n');
  const found = new Map<number, DefinitionLine>();
  for (const symbol of symbols) {
    if (found.size >= MAX_SIGNATURES) break;
    const name = shortName(symbol);
    if (!name) continue;
    const word = new RegExp(`(^|[^\\p{L}\\p{N}_$])${escapeRegex(name)}($|[^\\p{L}\\p{N}_$])`, 'u');
    const index = lines.findIndex((l) => !COMMENT_LINE.test(l) && word.test(l));
    if (index >= 0 && !found.has(index)) found.set(index, { index, text: lines[index].trim(), symbol });
  }
  return [...found.values()].sort((a, b) => a.index - b.index);
}
