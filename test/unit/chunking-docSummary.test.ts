import { describe, expect, it } from 'vitest';
import { docSummary } from '../../src/chunking/docSummary.js';

describe('docSummary: the first paragraph of a doc comment', () => {
  it('is the description up to the first blank line', () => {
    expect(docSummary('Group a collection by a key function\n\n>>> groupby(len, names)\n{3: [...]}')).toBe('Group a collection by a key function');
  });

  it('joins a summary wrapped over several lines', () => {
    expect(docSummary('Next returns the next time this schedule is activated, greater than the given\ntime.\n\nDetails.')).toBe(
      'Next returns the next time this schedule is activated, greater than the given time.',
    );
  });

  it('stops at a block tag, and skips tags that come before any description', () => {
    expect(docSummary('Emits the latest value.\n@param dueTime The delay.\n@return A function.')).toBe('Emits the latest value.');
    expect(docSummary('@deprecated Use the config object instead.\n\nEmits the latest value.')).toBe('Emits the latest value.');
  });

  it('is empty for an empty doc or one made only of tags', () => {
    expect(docSummary('')).toBe('');
    expect(docSummary('@internal')).toBe('');
  });

  it('keeps at most 60 words of a paragraph that never ends', () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`);
    expect(docSummary(words.join(' ')).split(' ')).toEqual(words.slice(0, 60));
  });
});
