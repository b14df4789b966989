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

const WORD_CHAR = /^[\p{L}\p{N}_$]$/u;

/** The whole character (code point) that ends just before `i`, or '' at the start. */
function charBefore(line: string, i: number): string {
  if (i <= 0) return '';
  const low = line.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = line.charCodeAt(i - 2);
    if (high >= 0xd800 && high <= 0xdbff) return line.slice(i - 2, i);
  }
  return line[i - 1];
}

/** The whole character (code point) that starts at `i`, or '' at the end. */
function charAt(line: string, i: number): string {
  const cp = line.codePointAt(i);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

/**
 * `name` occurs in `line` as a word: not inside a longer identifier. Found
 * with indexOf and two character checks, not a RegExp per symbol: compiling a
 * Unicode-class RegExp for every symbol of every chunk was the sink's largest
 * cost (≈ 0.35 ms a chunk, measured in bench:gpu-fleet's sink).
 */
function containsWord(line: string, name: string): boolean {
  for (let i = line.indexOf(name); i >= 0; i = line.indexOf(name, i + 1)) {
    const before = charBefore(line, i);
    const after = charAt(line, i + name.length);
    if ((before === '' || !WORD_CHAR.test(before)) && (after === '' || !WORD_CHAR.test(after))) return true;
  }
  return false;
}

export function definitionLines(text: string, symbols: readonly string[]): DefinitionLine[] {
  if (symbols.length === 0) return [];
  const lines = text.split('\n');
  const found = new Map<number, DefinitionLine>();
  for (const symbol of symbols) {
    if (found.size >= MAX_SIGNATURES) break;
    const name = shortName(symbol);
    if (!name) continue;
    const index = lines.findIndex((l) => l.includes(name) && !COMMENT_LINE.test(l) && containsWord(l, name));
    if (index >= 0 && !found.has(index)) found.set(index, { index, text: lines[index].trim(), symbol });
  }
  return [...found.values()].sort((a, b) => a.index - b.index);
}
