import type { FileRole } from '../contracts/chunk.js';
import type { RolePriors } from '../catalog/chunkCatalog.js';

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
  declarations: 0.5,
};

/**
 * Words that ask for a role by name, inflections listed (not stemmed: "for
 * testing" names a purpose, a helper for tests, not the tests themselves).
 * A query holding one lifts that role to the source's weight.
 */
const ASKS_FOR: [FileRole, Set<string>][] = Object.entries({
  test: ['test', 'tests', 'tested', 'spec', 'specs', 'unittest', 'unittests'],
  docs: ['doc', 'docs', 'documentation', 'documented', 'guide', 'guides', 'readme', 'tutorial', 'tutorials', 'changelog'],
  example: ['example', 'examples', 'sample', 'samples', 'demo', 'demos'],
  benchmark: ['benchmark', 'benchmarks', 'benchmarked', 'bench', 'benches'],
}).map(([role, words]) => [role as FileRole, new Set(words)]);

/** The priors for one query: the defaults, with every role the query names lifted to 1. */
export function rolePriorsFor(query: string, base: RolePriors = DEFAULT_ROLE_PRIORS): RolePriors {
  const words = new Set(query.toLowerCase().match(/[a-z]+/g) ?? []);
  const priors = { ...base };
  for (const [role, asks] of ASKS_FOR) if ([...asks].some((w) => words.has(w))) priors[role] = Math.max(priors[role], base.source);
  return priors;
}
