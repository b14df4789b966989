import { describe, expect, it } from 'vitest';
import { createCitationTracker } from '../../src/answer/citations.js';
import { createExtractiveGenerator } from '../../src/answer/generatorExtractive.js';
import type { PromptChunk } from '../../src/answer/prompt.js';

describe('progressive citations', () => {
  it('reports each source number once, when its closing bracket arrives, even split across tokens', () => {
    const t = createCitationTracker([1, 2, 3]);
    expect(t.push('Interest compounds yearly [')).toEqual([]);
    expect(t.push('2')).toEqual([]);
    expect(t.push('] and deposits add up [1')).toEqual([2]);
    expect(t.push('][3]. Again [2].')).toEqual([1, 3]);
    expect(t.cited()).toEqual([2, 1, 3]);
  });

  it('understands [1, 3] lists and ignores numbers that name no source and brackets that are not citations', () => {
    const t = createCitationTracker([1, 2, 3]);
    expect(t.push('see [1, 3] and [9] and arr[i] and [ 2 ]')).toEqual([1, 3]);
    expect(t.cited()).toEqual([1, 3]);
  });
});

describe('extractive generator', () => {
  const chunks: PromptChunk[] = [
    {
      n: 1,
      chunkId: 'c1',
      path: 'bank/account.py',
      startLine: 20,
      endLine: 49,
      language: 'python',
      content: Array.from({ length: 30 }, (_, i) => (i === 17 ? 'def compute_interest(balance, rate):' : i === 18 ? '    return balance * rate' : `x${i} = ${i}`)).join('\n'),
      score: 1,
      channels: { bm25: 1 },
      truncated: false,
    },
  ];

  it('streams the best window of each source with its citation number and exact lines', async () => {
    const g = createExtractiveGenerator({ snippetLines: 4 });
    let text = '';
    let pieces = 0;
    for await (const d of g.stream({ question: 'how is interest computed', chunks, messages: [], maxTokens: 100, temperature: 0 })) {
      if (d.type === 'text') {
        text += d.text;
        pieces++;
      }
    }
    expect(pieces).toBeGreaterThan(5);
    // the text cites the source's lines as the Sources list does (20-49); the excerpt starts at the line that mentions interest
    expect(text).toContain('[1] bank/account.py:20-49\n```python\ndef compute_interest(balance, rate):');
    expect(text).not.toMatch(/lines \d+-\d+/);
    expect(text).toContain('def compute_interest(balance, rate):');
  });

  it('says plainly when nothing matched', async () => {
    const g = createExtractiveGenerator();
    let text = '';
    for await (const d of g.stream({ question: 'q', chunks: [], messages: [], maxTokens: 10, temperature: 0 })) if (d.type === 'text') text += d.text;
    expect(text).toBe('No indexed code matches this question.');
  });
});
