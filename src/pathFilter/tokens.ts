import type { CodePointRange } from './ast.js';
import { parseCharClass } from './charClass.js';

/** The lexical pieces of a glob, escapes resolved, classes parsed. */
export type Token =
  | { kind: 'char'; ch: string; escaped: boolean }
  | { kind: 'slash' }
  | { kind: 'star' }
  | { kind: 'one' }
  | { kind: 'class'; negated: boolean; ranges: CodePointRange[] }
  | { kind: 'open' }
  | { kind: 'comma' }
  | { kind: 'close' };

/** Splits a glob into tokens; `\x` is always the character x. Malformed input goes to `fail`. */
export function tokenize(glob: string, fail: (reason: string) => never): Token[] {
  const chars = Array.from(glob); // code points, so a class or '?' takes a whole astral character
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const ch = chars[i];
    if (ch === '\\') {
      if (i + 1 >= chars.length) fail(`ends in a lone '\\' (write '\\\\' for a backslash)`);
      tokens.push({ kind: 'char', ch: chars[i + 1], escaped: true });
      i += 2;
      continue;
    }
    if (ch === '[') {
      const cls = parseCharClass(chars, i, fail);
      tokens.push({ kind: 'class', negated: cls.negated, ranges: cls.ranges });
      i = cls.end;
      continue;
    }
    tokens.push(
      ch === '/' ? { kind: 'slash' }
      : ch === '*' ? { kind: 'star' }
      : ch === '?' ? { kind: 'one' }
      : ch === '{' ? { kind: 'open' }
      : ch === ',' ? { kind: 'comma' }
      : ch === '}' ? { kind: 'close' }
      : { kind: 'char', ch, escaped: false },
    );
    i++;
  }
  return tokens;
}
