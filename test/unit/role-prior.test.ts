import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLE_PRIORS, rolePriorsFor } from '../../src/retrieval/rolePrior.js';

describe('rolePriorsFor', () => {
  it('puts source first and the other roles below it for a plain question', () => {
    const p = rolePriorsFor('stop the worker from processing new jobs');
    expect(p).toEqual(DEFAULT_ROLE_PRIORS);
    for (const role of ['test', 'docs', 'example', 'benchmark', 'generated', 'config', 'declarations'] as const) expect(p[role]).toBeLessThan(p.source);
  });

  it('lifts tests to the level of source when the question asks for tests, in any inflection', () => {
    expect(rolePriorsFor('where is retrying tested').test).toBe(1);
    expect(rolePriorsFor('tests for the router').test).toBe(1);
    expect(rolePriorsFor('tests for the router').docs).toBe(DEFAULT_ROLE_PRIORS.docs);
  });

  it('does not take "for testing" (a purpose) as asking for the tests themselves', () => {
    expect(rolePriorsFor('fake an HTTP request for testing without a server').test).toBe(DEFAULT_ROLE_PRIORS.test);
  });

  it('ranks type declarations below the code they declare', () => {
    expect(DEFAULT_ROLE_PRIORS.declarations).toBeLessThan(DEFAULT_ROLE_PRIORS.source);
  });

  it('lifts docs and examples when asked for', () => {
    expect(rolePriorsFor('documentation of hooks').docs).toBe(1);
    expect(rolePriorsFor('an example of a plugin').example).toBe(1);
  });
});
