import type { FileRole } from '../contracts/chunk.js';
import type { RolePriors } from '../catalog/chunkCatalog.js';
import { stem } from '../text/codeTokenizer.js';

/**
 * How much a chunk's score counts by the role of its file: a user asking
 * "how do I X" wants the definition first, then the tests and guides that
 * show it. A prior, not a filter: a test that matches far better still
 * comes first (filters.roles is the filter).
 */
export const DEFAULT_ROLE_PRIORS: RolePriors = {
  source: 1,
  test: 0.3,
  docs: 0.3,
  example: 0.4,
  benchmark: 0.3,
  generated: 0.7,
  config: 0.4,
};

/** Words that ask for a role by name; a query holding one lifts that role to the source's weight. */
const ASKS_FOR: Partial<Record<FileRole, string[]>> = {
  test: ['test', 'tests', 'testing', 'tested', 'spec', 'specs', 'unittest'],
  docs: ['doc', 'docs', 'documentation', 'documented', 'guide', 'readme', 'tutorial', 'changelog'],
  example: ['example', 'examples', 'sample', 'samples', 'demo'],
  benchmark: ['benchmark', 'benchmarks', 'bench', 'benches'],
};

const STEMMED: [FileRole, Set<string>][] = Object.entries(ASKS_FOR).map(([role, words]) => [
  role as FileRole,
  new Set(words.map((w) => stem(w))),
]);

/** The priors for one query: the defaults, with every role the query names lifted to 1. */
export function rolePriorsFor(query: string, base: RolePriors = DEFAULT_ROLE_PRIORS): RolePriors {
  const words = new Set((query.toLowerCase().match(/[a-z]+/g) ?? []).map((w) => stem(w)));
  const priors = { ...base };
  for (const [role, asks] of STEMMED) if ([...asks].some((w) => words.has(w))) priors[role] = Math.max(priors[role], base.source);
  return priors;
}
