import { describe, expect, it } from 'vitest';
import { fitBlocks, tokenCounter } from '../../src/mcp/tokenBudget.js';

describe('fitBlocks with the real BPE tokenizer', () => {
  const blocks = Array.from({ length: 6 }, (_, i) => ({
    head: `${i + 1}. src/file${i}.ts:1-20  fn${i}  [source, typescript, score 0.0300]`,
    lines: Array.from({ length: 12 }, (_, j) => `${String(j + 1).padStart(5)}  const value${j} = compute(${i}, ${j}); // a line of code`),
  }));

  it('keeps whole blocks while they fit, then cuts the next one inside its lines and stops', async () => {
    const counter = await tokenCounter();
    const one = counter.count([blocks[0].head, ...blocks[0].lines].join('\n'));
    const fitted = fitBlocks(blocks, Math.floor(one * 2.5), counter);
    expect(fitted.kept).toBe(3);
    expect(fitted.keptLines.slice(0, 2)).toEqual([12, 12]);
    expect(fitted.keptLines[2]).toBeLessThan(12);
    expect(fitted.tokens).toBeLessThanOrEqual(Math.floor(one * 2.5));
    expect(fitted.tokens).toBe(counter.count(fitted.text));
  });

  it('never goes over the budget, even when it is smaller than one head', async () => {
    const counter = await tokenCounter();
    const fitted = fitBlocks(blocks, 5, counter);
    expect(fitted).toMatchObject({ kept: 0, text: '', tokens: 0 });
  });

  it('counts tokens, not characters: symbols and CJK cost more than their length suggests', async () => {
    const counter = await tokenCounter();
    expect(counter.count('数据库连接池的配置')).toBeGreaterThan(3);
    expect(counter.count('hello world')).toBe(2);
    expect(counter.count('')).toBe(0);
  });

  it('counts special-token text found in code as plain text instead of refusing it', async () => {
    const counter = await tokenCounter();
    expect(counter.count("if (t === '<|endoftext|>') stop();")).toBeGreaterThan(5);
  });
});
