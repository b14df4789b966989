import type { PathGlob } from './ast.js';
import { emitUnion, type RegexDialect } from './emit.js';

/**
 * java.util.regex (Cypher's `=~`, a whole-string match). The output keeps
 * to a subset that means the same in Java and in JavaScript with the `u`
 * and `s` flags, so a test can evaluate it with RegExp: escapes only of
 * syntax characters (Java reads `\x` for punctuation as x; JS's `u` mode
 * allows exactly the syntax characters, and `\-` in brackets), no nested
 * brackets (`[` is escaped there), no `&&` (class ranges are merged, so
 * two members never both are '&'), no possessive or embedded-flag groups
 * other than the leading `(?s)`.
 */
const JAVA: RegexDialect = {
  literal: (ch) => (/[\\.+*?()|[\]{}^$]/.test(ch) ? `\\${ch}` : ch),
  classMember: (ch) => (/[\\\][^-]/.test(ch) ? `\\${ch}` : ch),
  group: (body) => `(?:${body})`,
};

/** A Java regex for one glob, whole-path match; `(?s)` lets `.` cross newlines. */
export function javaPathRegex(glob: PathGlob): string {
  return `(?s)${emitUnion([glob], JAVA)}`;
}
