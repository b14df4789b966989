import type { PathGlob } from './ast.js';
import { emitUnion, type RegexDialect } from './emit.js';

/**
 * Lucene's RegExp syntax (OpenSearch `regexp` with the default flags ALL):
 * implicitly anchored, `.` is any character (newline too), groups are
 * `( )`. Reserved outside brackets: `. ? + * | { } [ ] ( ) " \` and, with
 * the optional operators on, `# @ & < > ~`; all escaped with `\`. Letters
 * and digits are never escaped (recent Lucene reads `\d`, `\w`, `\s`).
 */
const LUCENE: RegexDialect = {
  literal: (ch) => (/[.?+*|{}[\]()"\\#@&<>~]/.test(ch) ? `\\${ch}` : ch),
  classMember: (ch) => (/[\\\][^-]/.test(ch) ? `\\${ch}` : ch),
  group: (body) => `(${body})`,
};

/**
 * A Lucene regexp matching a path (the whole of it) when the glob does.
 * OpenSearch refuses regexps longer than `index.max_regex_length` (1000 by
 * default); a glob of many wildcards or alternatives can exceed it, and the
 * search then falls back to the local index for that channel.
 */
export function luceneRegexp(glob: PathGlob): string {
  return emitUnion([glob], LUCENE);
}
