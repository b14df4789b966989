import type { GlobPattern, NamePart, PathGlob, Segment } from './ast.js';
import { expandBraces } from './braces.js';
import { PathGlobError } from './errors.js';
import { tokenize, type Token } from './tokens.js';

/** Longest glob accepted (UTF-16 units, as the API counts string length). */
export const MAX_GLOB_LENGTH = 500;

/**
 * Parses a path glob over repo-relative paths, with gitignore's meaning
 * (see docs/api.md, "Path globs"):
 * - without a '/' (a trailing one aside) it matches a name at any depth;
 *   a leading '/' (or './') or a '/' in the middle anchors it at the root;
 * - `*` and `?` never match '/'; `[abc]`, `[a-z]`, `[!a-z]` match one character;
 * - a whole segment `**` matches any number of directories: `**\/x`, `x/**`, `a/**\/b`
 *   (as in git, so does a segment of more stars); any other run of stars is one `*`;
 * - `?` and a class match one character (a code point; git counts bytes);
 * - a trailing '/' names a directory: it matches everything under one;
 * - a pattern that matches a directory matches everything under it;
 * - `\x` is the character x;
 * - added to gitignore: `{a,b}` alternatives. Not taken from gitignore:
 *   a leading '!' (negation) is refused, '#' and trailing spaces are plain characters.
 * Throws PathGlobError, naming the glob, for anything malformed.
 */
export function parsePathGlob(glob: string): PathGlob {
  const fail = (reason: string): never => {
    throw new PathGlobError(glob, reason);
  };
  if (typeof glob !== 'string') fail('must be a string');
  if (glob.length === 0) fail('is empty');
  if (glob.length > MAX_GLOB_LENGTH) fail(`is longer than ${MAX_GLOB_LENGTH} characters`);
  if (glob.includes('\0')) fail('contains a NUL character');
  if (glob.startsWith('!')) fail(`a leading '!' (gitignore's negation) is not supported; write '\\!' for a literal '!'`);
  const alternatives = expandBraces(tokenize(glob, fail), fail);
  return { source: glob, patterns: alternatives.map((tokens) => toPattern(tokens, fail)) };
}

function toPattern(tokens: Token[], fail: (reason: string) => never): GlobPattern {
  const segments = splitSegments(tokens);
  let anchored = false;
  if (segments.length > 1 && segments[0].length === 0) {
    anchored = true; // leading '/'
    segments.shift();
  } else if (segments.length > 1 && isPlain(segments[0], '.')) {
    anchored = true; // leading './' (not gitignore, but what people type for "from the root")
    segments.shift();
  }
  let directoryOnly = false;
  if (segments.length > 1 && segments[segments.length - 1].length === 0) {
    directoryOnly = true;
    segments.pop();
  }
  if (segments.length === 1 && segments[0].length === 0) fail('names no path');
  if (segments.some((s) => s.length === 0)) fail(`has an empty path segment ('//')`);
  if (segments.some((s) => isPlain(s, '.') || isPlain(s, '..'))) fail(`'.' and '..' segments are not allowed: globs are relative to the repo root`);
  if (segments.length > 1) anchored = true;

  const out: Segment[] = [];
  for (const seg of segments) {
    const isGlobstar = seg.length >= 2 && seg.every((t) => t.kind === 'star'); // git reads '***' as '**' too
    if (isGlobstar) {
      if (out[out.length - 1]?.kind !== 'globstar') out.push({ kind: 'globstar' });
    } else {
      out.push({ kind: 'name', parts: nameParts(seg) });
    }
  }
  return { anchored, directoryOnly, segments: out };
}

function splitSegments(tokens: Token[]): Token[][] {
  const segments: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'slash') segments.push([]);
    else segments[segments.length - 1].push(t);
  }
  return segments;
}

function isPlain(seg: Token[], text: string): boolean {
  return seg.map((t) => (t.kind === 'char' && !t.escaped ? t.ch : '\0')).join('') === text;
}

function nameParts(seg: Token[]): NamePart[] {
  const parts: NamePart[] = [];
  for (const t of seg) {
    const last = parts[parts.length - 1];
    if (t.kind === 'char') {
      if (last?.kind === 'literal') last.text += t.ch;
      else parts.push({ kind: 'literal', text: t.ch });
    } else if (t.kind === 'star') {
      if (last?.kind !== 'star') parts.push({ kind: 'star' });
    } else if (t.kind === 'one') {
      parts.push({ kind: 'one' });
    } else if (t.kind === 'class') {
      parts.push({ kind: 'class', negated: t.negated, ranges: t.ranges });
    } else {
      // brace tokens are gone after expansion, slashes after splitting
      throw new Error(`unexpected ${t.kind} token in a segment`);
    }
  }
  return parts;
}
