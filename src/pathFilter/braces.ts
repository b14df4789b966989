import type { Token } from './tokens.js';

/** Brace alternatives are an addition to gitignore; this many is plenty and keeps every backend's regex small. */
export const MAX_ALTERNATIVES = 32;
/**
 * And all alternatives together at most this many characters: each is
 * written out in full in the regex, and RE2 (DuckDB) refuses a pattern of
 * 50 globs much past that ("pattern too large").
 */
export const MAX_EXPANDED_LENGTH = 1000;

type Item = Token | { kind: 'group'; options: Item[][] };

/**
 * Expands `{a,b}` (nested too, empty alternatives allowed) into one token
 * list per alternative, as a shell does: `src/*.{ts,tsx}` is `src/*.ts` and
 * `src/*.tsx`, and `{src,lib/x}` is `src` and `lib/x`, each then read with
 * gitignore's rules. A comma outside braces is a plain character.
 */
export function expandBraces(tokens: Token[], fail: (reason: string) => never): Token[][] {
  let i = 0;
  const sequence = (depth: number): Item[] => {
    const items: Item[] = [];
    while (i < tokens.length) {
      const t = tokens[i];
      if (t.kind === 'close' || (t.kind === 'comma' && depth > 0)) break;
      i++;
      if (t.kind === 'open') items.push(group(depth + 1));
      else items.push(t.kind === 'comma' ? { kind: 'char', ch: ',', escaped: false } : t);
    }
    return items;
  };
  const group = (depth: number): Item => {
    const options: Item[][] = [sequence(depth)];
    while (i < tokens.length && tokens[i].kind === 'comma') {
      i++;
      options.push(sequence(depth));
    }
    if (i >= tokens.length) fail(`unclosed '{' (a '{' needs a matching '}'; write '\\{' for a literal '{')`);
    i++; // the '}'
    return { kind: 'group', options };
  };
  const top = sequence(0);
  if (i < tokens.length) fail(`unmatched '}' (write '\\}' for a literal '}')`);

  const expand = (items: Item[]): Token[][] => {
    let out: Token[][] = [[]];
    for (const item of items) {
      const tails = item.kind === 'group' ? item.options.flatMap(expand) : [[item]];
      if (out.length * tails.length > MAX_ALTERNATIVES) {
        fail(`braces expand to more than ${MAX_ALTERNATIVES} alternatives; pass several globs instead`);
      }
      out = out.flatMap((head) => tails.map((tail) => [...head, ...tail]));
    }
    return out;
  };
  const alternatives = expand(top);
  const length = alternatives.reduce((n, a) => n + a.length, 0);
  if (length > MAX_EXPANDED_LENGTH) fail(`braces expand to more than ${MAX_EXPANDED_LENGTH} characters in all; pass several globs instead`);
  return alternatives;
}
