/**
 * What part a file plays in a repo, from its path alone: agents filter on it
 * ("only source, no tests") and read it in each hit. The index keeps no such
 * field, so it is derived here, the same way for every hit and filter.
 */
export const ROLES = ['source', 'test', 'docs', 'config'] as const;
export type ChunkRole = (typeof ROLES)[number];

const TEST = [/(^|\/)(tests?|__tests__|spec|specs|e2e)\//i, /\.(test|spec|e2e)\.[cm]?[jt]sx?$/i, /(^|\/)test_[^/]*\.py$/i, /_test\.(py|go|rs)$/i, /(^|\/)conftest\.py$/i];
const DOCS = [/\.(md|mdx|rst|adoc|txt)$/i, /(^|\/)docs?\//i, /(^|\/)(README|CHANGELOG|LICENSE|CONTRIBUTING)[^/]*$/i];
const CONFIG = [/\.(json|ya?ml|toml|ini|cfg|conf|env|lock)$/i, /(^|\/)(Dockerfile|Makefile|\.[^/]*rc)$/i, /(^|\/)[^/]*\.config\.[cm]?[jt]s$/i];

export function chunkRole(path: string): ChunkRole {
  if (TEST.some((r) => r.test(path))) return 'test';
  if (DOCS.some((r) => r.test(path))) return 'docs';
  if (CONFIG.some((r) => r.test(path))) return 'config';
  return 'source';
}
