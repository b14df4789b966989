import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../../src/chunking/tokens.js';
import { buildPrompt, type RankedChunk } from '../../src/answer/prompt.js';

const chunk = (id: string, path: string, startLine: number, lines: string[]): RankedChunk => ({
  chunkId: id,
  path,
  startLine,
  endLine: startLine + lines.length - 1,
  language: 'python',
  content: lines.join('\n'),
  score: 1,
  channels: { bm25: 1 },
});

const a = chunk('a', 'bank/account.py', 10, ['def compute_interest(balance, rate, years):', '    return balance * (1 + rate) ** years']);
const b = chunk('b', 'src/config.ts', 1, ['export function parseConfig(env) {', '  return { port: Number(env.PORT) };', '}']);

describe('prompt builder', () => {
  it('numbers the sources in rank order with their path and lines, and ends with the question', () => {
    const p = buildPrompt({ repo: 'sample', question: 'How is interest computed?', chunks: [a, b], tokenBudget: 6000 });
    expect(p.chunks.map((c) => [c.n, c.chunkId])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    const user = p.messages[1].content;
    expect(user).toContain('[1] bank/account.py:10-11 (python)\n```python\ndef compute_interest');
    expect(user.indexOf('[1] bank/account.py')).toBeLessThan(user.indexOf('[2] src/config.ts'));
    expect(user.endsWith('Question: How is interest computed?')).toBe(true);
    expect(p.messages[0]).toMatchObject({ role: 'system' });
    expect(p.messages[0].content).toContain('[n]');
    expect(p.omitted).toBe(0);
  });

  it('is deterministic: the same input gives the same bytes', () => {
    const one = buildPrompt({ repo: 'sample', question: 'q?', chunks: [a, b], tokenBudget: 300 });
    const two = buildPrompt({ repo: 'sample', question: 'q?', chunks: [a, b], tokenBudget: 300 });
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  });

  it('stays within the token budget: a chunk that does not fit is cut at a line, its line range shrinks, and nothing follows it', () => {
    const long = chunk('long', 'big.py', 100, Array.from({ length: 200 }, (_, i) => `line_${i} = compute(${i})  # some padding text`));
    const full = buildPrompt({ repo: 'r', question: 'q', chunks: [a], tokenBudget: 100_000 });
    const budget = full.estimatedTokens + 300;
    const p = buildPrompt({ repo: 'r', question: 'q', chunks: [a, long, b], tokenBudget: budget });
    expect(p.estimatedTokens).toBeLessThanOrEqual(budget);
    expect(estimateTokens(p.messages.map((m) => m.content).join(''))).toBeLessThanOrEqual(budget);
    expect(p.chunks.map((c) => c.chunkId)).toEqual(['a', 'long']);
    const cut = p.chunks[1];
    expect(cut.truncated).toBe(true);
    const kept = cut.content.split('\n');
    expect(cut.endLine).toBe(100 + kept.length - 1);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(200);
    expect(p.messages[1].content).toContain(`[2] big.py:100-${cut.endLine} (python)`);
    expect(p.omitted).toBe(1);
  });

  it('leaves out chunks when there is no room for even a useful part of one', () => {
    const p = buildPrompt({ repo: 'r', question: 'q', chunks: [a, b], tokenBudget: 64 });
    expect(p.chunks).toEqual([]);
    expect(p.omitted).toBe(2);
  });
});
