import type { PathGlob } from './ast.js';
import { emitUnion, type RegexDialect } from './emit.js';

/** RE2 (DuckDB's regexp_* functions): backslash-escape its metacharacters, which RE2 allows for any punctuation. */
const RE2: RegexDialect = {
  literal: (ch) => (/[\\.+*?()|[\]{}^$]/.test(ch) ? `\\${ch}` : ch),
  classMember: (ch) => (/[\\\][^-]/.test(ch) ? `\\${ch}` : ch),
  group: (body) => `(?:${body})`,
};

/**
 * An RE2 regex matching a path when any of the globs does, for
 * `regexp_full_match(path, regex)`. `(?s)` lets `.` cross newlines, which
 * a file name may contain.
 */
export function re2PathRegex(globs: PathGlob[]): string {
  if (globs.length === 0) throw new RangeError('re2PathRegex needs at least one glob');
  return `(?s)${emitUnion(globs, RE2)}`;
}
