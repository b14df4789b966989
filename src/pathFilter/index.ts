/**
 * Path globs for search filters: one grammar (gitignore's, plus `{a,b}`),
 * parsed once, translated to each backend's regex dialect. Imports nothing
 * of the project's.
 */
export type { GlobPattern, NamePart, PathGlob, Segment } from './ast.js';
export { PathGlobError } from './errors.js';
export { MAX_GLOB_LENGTH, parsePathGlob } from './parse.js';
export { MAX_ALTERNATIVES, MAX_EXPANDED_LENGTH } from './braces.js';
export { re2PathRegex } from './re2.js';
export { luceneRegexp } from './lucene.js';
export { javaPathRegex } from './javaRegex.js';
export { literalDirectory } from './literalDirectory.js';
