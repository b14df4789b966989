import type { CodePointRange } from './ast.js';

const SLASH = 0x2f;
const cp = (ch: string) => ch.codePointAt(0)!;

/** The POSIX classes wildmatch (and so gitignore) accepts inside brackets, as ASCII ranges. */
const POSIX_CLASSES: Record<string, CodePointRange[]> = {
  alnum: [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]],
  alpha: [[0x41, 0x5a], [0x61, 0x7a]],
  blank: [[0x09, 0x09], [0x20, 0x20]],
  cntrl: [[0x00, 0x1f], [0x7f, 0x7f]],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]],
  space: [[0x09, 0x0d], [0x20, 0x20]],
  upper: [[0x41, 0x5a]],
  xdigit: [[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]],
};

export interface ParsedClass {
  negated: boolean;
  ranges: CodePointRange[];
  /** index (in `chars`) just past the closing ']' */
  end: number;
}

/**
 * Parses `[...]` starting at `chars[start] === '['`, with wildmatch's rules:
 * `!` or `^` first negates, a `]` first is a member, `a-z` is a range, `\x`
 * is the character x, `[:alpha:]` and friends are POSIX classes. A
 * malformed class goes to `fail` with the reason.
 */
export function parseCharClass(chars: string[], start: number, fail: (reason: string) => never): ParsedClass {
  let i = start + 1;
  let negated = false;
  if (chars[i] === '!' || chars[i] === '^') {
    negated = true;
    i++;
  }
  const ranges: [number, number][] = [];
  let first = true;
  const member = (): string => {
    if (chars[i] === '\\') i++;
    if (i >= chars.length) fail(`unclosed '[' (a '[' needs a matching ']'; write '\\[' for a literal '[')`);
    return chars[i++];
  };
  for (;;) {
    if (i >= chars.length) fail(`unclosed '[' (a '[' needs a matching ']'; write '\\[' for a literal '[')`);
    if (chars[i] === ']' && !first) return { negated, ranges: normalize(ranges, negated), end: i + 1 };
    first = false;
    if (chars[i] === '[' && chars[i + 1] === ':') {
      const close = chars.indexOf(':', i + 2);
      if (close > 0 && chars[close + 1] === ']') {
        const name = chars.slice(i + 2, close).join('');
        const posix = POSIX_CLASSES[name];
        if (!posix) fail(`unknown character class [:${name}:] (known: ${Object.keys(POSIX_CLASSES).join(', ')})`);
        ranges.push(...posix.map(([lo, hi]) => [lo, hi] as [number, number]));
        i = close + 2;
        continue;
      }
    }
    const lo = member();
    let hi = lo;
    if (chars[i] === '-' && i + 1 < chars.length && chars[i + 1] !== ']') {
      i++;
      hi = member();
      if (cp(hi) < cp(lo)) fail(`reversed range ${lo}-${hi} in a character class`);
    }
    if (lo === '/' || hi === '/') fail(`'/' cannot be in a character class (a class matches one character of a name)`);
    ranges.push([cp(lo), cp(hi)]);
  }
}

/**
 * The ranges to write between the brackets, sorted and merged: a class must
 * never match the path separator, so a range such as `+-0` loses '/', and
 * a negated class gets '/' added to what it excludes.
 * Merging also means no two members touch, so Java never sees `&&`.
 */
function normalize(ranges: [number, number][], negated: boolean): CodePointRange[] {
  const all = negated ? [...ranges, [SLASH, SLASH] as [number, number]] : ranges;
  const sorted = [...all].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = merged[merged.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else merged.push([lo, hi]);
  }
  if (negated) return merged;
  return merged.flatMap(([lo, hi]): [number, number][] => {
    if (lo > SLASH || hi < SLASH) return [[lo, hi]];
    return [
      ...(lo < SLASH ? [[lo, SLASH - 1] as [number, number]] : []),
      ...(hi > SLASH ? [[SLASH + 1, hi] as [number, number]] : []),
    ];
  });
}
