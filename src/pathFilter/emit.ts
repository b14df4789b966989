import type { GlobPattern, NamePart, PathGlob } from './ast.js';

/** What differs between the regex dialects the backends speak; the structure of the regex does not. */
export interface RegexDialect {
  /** a character outside brackets, escaped where the dialect needs it */
  literal(ch: string): string;
  /** a character between brackets, escaped where the dialect needs it */
  classMember(ch: string): string;
  /** a group around `body` that can take `?` */
  group(body: string): string;
}

/**
 * One regex (whole-path match, no anchors written) for the union of the
 * patterns of all the globs. Patterns with the same start and end share
 * them: `*.{ts,tsx}` becomes "any dirs, then `[^/]*\.ts` or `[^/]*\.tsx`,
 * then maybe a slash and more". Every
 * `.` in the output must match any character, newline included: the
 * dialects with a dot-all flag set it.
 */
export function emitUnion(globs: PathGlob[], d: RegexDialect): string {
  const frames = new Map<string, { prefix: string; suffix: string; bodies: string[] }>();
  for (const pattern of globs.flatMap((g) => g.patterns)) {
    const { prefix, body, suffix } = emitPattern(pattern, d);
    const key = `${prefix}\0${suffix}`;
    const frame = frames.get(key) ?? frames.set(key, { prefix, suffix, bodies: [] }).get(key)!;
    if (!frame.bodies.includes(body)) frame.bodies.push(body);
  }
  return [...frames.values()]
    .map(({ prefix, suffix, bodies }) => prefix + (bodies.length === 1 ? bodies[0] : d.group(bodies.join('|'))) + suffix)
    .join('|');
}

/**
 * prefix: any leading directories for an unanchored pattern;
 * body: the segments; suffix: what may follow, since a pattern that
 * matches a directory matches everything under it.
 */
function emitPattern(p: GlobPattern, d: RegexDialect): { prefix: string; body: string; suffix: string } {
  const anyDirs = `${d.group('.*/')}?`;
  let body = '';
  p.segments.forEach((seg, i) => {
    const last = i === p.segments.length - 1;
    if (seg.kind === 'globstar') body += last ? '.*' : anyDirs;
    else body += seg.parts.map((part) => emitPart(part, d)).join('') + (last ? '' : '/');
  });
  const endsInGlobstar = p.segments[p.segments.length - 1].kind === 'globstar';
  const suffix = p.directoryOnly ? '/.*' : endsInGlobstar ? '' : `${d.group('/.*')}?`;
  return { prefix: p.anchored ? '' : anyDirs, body, suffix };
}

function emitPart(part: NamePart, d: RegexDialect): string {
  switch (part.kind) {
    case 'literal':
      return Array.from(part.text, d.literal).join('');
    case 'star':
      return '[^/]*';
    case 'one':
      return '[^/]';
    case 'class': {
      const member = (code: number) => d.classMember(String.fromCodePoint(code));
      const members = part.ranges.map(([lo, hi]) =>
        lo === hi ? member(lo) : hi === lo + 1 ? member(lo) + member(hi) : `${member(lo)}-${member(hi)}`,
      );
      return `[${part.negated ? '^' : ''}${members.join('')}]`;
    }
  }
}
