import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkId } from '../../src/chunking/chunk.js';
import { type Chunk } from '../../src/contracts/chunk.js';
import { createChunker, type ChunkerOptions } from '../../src/chunking/index.js';
import { estimateTokens } from '../../src/chunking/tokens.js';
import { SAMPLE_REPO } from '../fixtures/repoHelpers.js';

const defaults: ChunkerOptions = { maxTokens: 400, windowLines: 60, overlapLines: 10 };
const small: ChunkerOptions = { maxTokens: 100, windowLines: 60, overlapLines: 10 };
const sample = (rel: string) => readFileSync(path.join(SAMPLE_REPO, rel), 'utf8');
const chunk = (rel: string, language: string, opts = defaults) => createChunker(opts).chunkFile(rel, sample(rel), language);
/** 1-based line of the first line containing `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const summary = (chunks: Chunk[]) => chunks.map((c) => [c.startLine, c.endLine, c.symbols]);

/** Mark every place in the file where this chunk's lines occur (a de-duplicated chunk stands for all its copies). */
function markOccurrences(lines: string[], c: Chunk, covered: Set<number>) {
  const own = c.text.split('\n');
  for (let at = 0; at + own.length <= lines.length; at++) {
    if (own.every((l, k) => lines[at + k] === l)) for (let k = 0; k < own.length; k++) covered.add(at + k + 1);
  }
}

/** The invariants every chunking must satisfy, whatever the strategy. */
function expectWellFormed(file: string, chunks: Chunk[], opts: ChunkerOptions) {
  const lines = file.split('\n');
  const covered = new Set<number>();
  for (const c of chunks) {
    expect(c.text).toBe(lines.slice(c.startLine - 1, c.endLine).join('\n'));
    expect(c.text.trim()).not.toBe('');
    expect(c.id).toBe(chunkId(c.path, c.text));
    if (c.endLine > c.startLine) expect(estimateTokens(c.text)).toBeLessThanOrEqual(opts.maxTokens);
    markOccurrences(lines, c, covered);
  }
  lines.forEach((l, i) => {
    if (l.trim() !== '') expect(covered.has(i + 1), `line ${i + 1} is in no chunk: ${l}`).toBe(true);
  });
  expect(new Set(chunks.map((c) => c.id)).size).toBe(chunks.length);
  expect(chunks.map((c) => c.startLine)).toEqual([...chunks.map((c) => c.startLine)].sort((a, b) => a - b));
}

describe('chunking the sample repository', () => {
  const files: [string, string][] = [
    ['bank/account.py', 'python'],
    ['bank/__init__.py', 'python'],
    ['src/config.ts', 'typescript'],
    ['src/rateLimiter.ts', 'typescript'],
    ['README.md', 'markdown'],
  ];

  it.each(files)('%s: exact lines, full coverage, within budget', async (rel, language) => {
    for (const opts of [defaults, small, { maxTokens: 16, windowLines: 4, overlapLines: 1 }]) {
      const chunks = await chunk(rel, language, opts);
      expect(chunks.length).toBeGreaterThan(0);
      expectWellFormed(sample(rel), chunks, opts);
      expect(chunks.every((c) => c.path === rel && c.language === language)).toBe(true);
    }
  });

  it('keeps a small Python module whole per declaration, naming what each chunk defines, members included', async () => {
    const text = sample('bank/account.py');
    expect(summary(await chunk('bank/account.py', 'python'))).toEqual([
      [1, lineOf(text, 'return (grown - balance)'), ['InsufficientFunds', 'compute_interest']],
      [lineOf(text, '@dataclass'), lineOf(text, 'print(account.project'), ['BankAccount', 'BankAccount.deposit', 'BankAccount.withdraw', 'BankAccount.project']],
    ]);
  });

  it('splits a Python class over budget into its methods, with exact line numbers', async () => {
    const text = sample('bank/account.py');
    const chunks = await chunk('bank/account.py', 'python', small);
    const bySymbol = (s: string) => chunks.find((c) => c.symbols.includes(s))!;

    expect(bySymbol('BankAccount').startLine).toBe(lineOf(text, '@dataclass')); // decorator travels with the class
    for (const method of ['deposit', 'withdraw', 'project']) {
      const c = bySymbol(`BankAccount.${method}`);
      expect(c.startLine).toBe(lineOf(text, `def ${method}(`));
      expect(c.text.split('\n')[0]).toBe(`    def ${method}(self` + text.split('\n')[c.startLine - 1].slice(`    def ${method}(self`.length));
    }
    // compute_interest is itself over budget: it is cut into windows that all carry its name.
    const interest = chunks.filter((c) => c.symbols.includes('compute_interest'));
    expect(interest.length).toBeGreaterThan(1);
    expect(interest[0].startLine).toBe(lineOf(text, 'def compute_interest('));
    expect(interest.at(-1)!.endLine).toBe(lineOf(text, 'return (grown - balance)'));
  });

  it('names TypeScript functions, classes, interfaces and exported arrow functions', async () => {
    expect((await chunk('src/config.ts', 'typescript')).flatMap((c) => c.symbols)).toEqual([
      'ServiceConfig',
      'ConfigError',
      'ConfigError.constructor',
      'parseConfig',
      'describeConfig',
    ]);
  });

  it('splits a TypeScript class over budget into methods named Class.method', async () => {
    const text = sample('src/rateLimiter.ts');
    const chunks = await chunk('src/rateLimiter.ts', 'typescript', small);
    expect(summary(chunks)).toEqual([
      [1, lineOf(text, 'private lastRefill'), ['RateLimiter']],
      [lineOf(text, 'constructor('), lineOf(text, 'return true;') + 1, ['RateLimiter.constructor', 'RateLimiter.take']],
      [lineOf(text, '/** Milliseconds until'), lineOf(text, 'Math.ceil(((1') + 1, ['RateLimiter.waitTime']],
      [lineOf(text, 'private refill()'), text.trimEnd().split('\n').length, ['RateLimiter.refill', 'limiterFor']],
    ]);
  });
});

describe('symbols in other grammars', () => {
  const chunker = () => createChunker({ maxTokens: 30, windowLines: 60, overlapLines: 10 });

  it('javascript: functions, classes with methods and const arrows', async () => {
    const js = [
      "import fs from 'node:fs';",
      '',
      'export default function () { return fs.readFileSync("x", "utf8").trim(); }',
      '',
      'class Queue {',
      '  push(item) { this.items.push(item); return this.items.length; }',
      '  pop() { return this.items.length ? this.items.shift() : undefined; }',
      '  handler = (event) => { this.push(event.detail); };',
      '}',
      '',
      'const double = (x) => x * 2;',
      'function* ids() { let i = 0; while (true) yield i++; }',
    ].join('\n');
    const chunks = await chunker().chunkFile('q.js', js, 'javascript');
    expectWellFormed(js, chunks, { maxTokens: 30, windowLines: 60, overlapLines: 10 });
    expect(chunks.flatMap((c) => c.symbols)).toEqual(['default', 'Queue', 'Queue.push', 'Queue.pop', 'Queue.handler', 'double', 'ids']);
  });

  it('tsx: components declared as functions and arrows', async () => {
    const tsx = [
      'export function Button({ label }: { label: string }) {',
      '  return <button className="primary">{label}</button>;',
      '}',
      '',
      'export const Card = ({ title }: { title: string }) => <div className="card"><h2>{title}</h2></div>;',
    ].join('\n');
    const chunks = await chunker().chunkFile('ui.tsx', tsx, 'tsx');
    expect(chunks.flatMap((c) => c.symbols)).toEqual(['Button', 'Card']);
  });

  it('python: nested classes are qualified', async () => {
    const py = [
      'class Outer:',
      '    """Outer holds Inner."""',
      '',
      '    class Inner:',
      '        def first(self):',
      '            return "a fairly long string so that the budget is exceeded"',
      '',
      '        def second(self):',
      '            return "another fairly long string to exceed the budget"',
      '',
      '    def after(self):',
      '        return "and a method on the outer class, also long enough"',
    ].join('\n');
    const chunks = await chunker().chunkFile('n.py', py, 'python');
    expectWellFormed(py, chunks, { maxTokens: 30, windowLines: 60, overlapLines: 10 });
    expect(chunks.flatMap((c) => c.symbols)).toEqual(['Outer', 'Outer.Inner', 'Outer.Inner.first', 'Outer.Inner.second', 'Outer.after']);
  });

  it('carries each definition\'s doc summary beside its whole doc', async () => {
    const py = [
      'def first():',
      '    """Drain the buffer to disk.',
      '',
      '    >>> first()',
      '    """',
      '',
      'def second():',
      '    """Open the file."""',
    ].join('\n');
    const [c] = await createChunker(defaults).chunkFile('d.py', py, 'python');
    expect(c.symbols).toEqual(['first', 'second']);
    expect(c.summary).toBe('Drain the buffer to disk.\nOpen the file.');
  });
});

describe('chunk ids', () => {
  it('are the same across runs and chunker instances', async () => {
    const a = (await chunk('bank/account.py', 'python', small)).map((c) => c.id);
    const b = (await chunk('bank/account.py', 'python', small)).map((c) => c.id);
    expect(b).toEqual(a);
  });

  it('change for the chunk whose text changed, and only for it', async () => {
    const text = sample('bank/account.py');
    const edited = text.replace('raise ValueError("deposit must be positive")', 'raise ValueError("deposits must be positive")');
    expect(edited).not.toBe(text);
    const before = await createChunker(small).chunkFile('bank/account.py', text, 'python');
    const after = await createChunker(small).chunkFile('bank/account.py', edited, 'python');
    const changed = after.filter((c, i) => c.id !== before[i].id);
    expect(changed.map((c) => c.symbols)).toEqual([['BankAccount.deposit']]);
  });

  it('depend on the path as well as the text', async () => {
    const c = createChunker(defaults);
    const text = 'def f():\n    return 1\n';
    expect((await c.chunkFile('a.py', text, 'python'))[0].id).not.toBe((await c.chunkFile('b.py', text, 'python'))[0].id);
  });

  it('de-duplicate identical chunks within a file, keeping the first', async () => {
    const body = Array.from({ length: 30 }, (_, i) => `  total += compute(${i}, "padding to make the line longer");`).join('\n');
    const twin = `function twin() {\n  let total = 0;\n${body}\n  return total;\n}`;
    const text = `${twin}\n\n${twin}\n`;
    const chunks = await createChunker({ maxTokens: 600, windowLines: 200, overlapLines: 10 }).chunkFile('twin.js', text, 'javascript');
    expect(estimateTokens(twin)).toBeLessThanOrEqual(600); // each copy fits, both together do not
    expect(estimateTokens(text)).toBeGreaterThan(600);
    expect(summary(chunks)).toEqual([[1, 34, ['twin']]]); // the copy at lines 36-69 is dropped
  });
});

describe('large and awkward files', () => {
  it('splits a 3000-line TypeScript file into chunks within budget, covering every line', async () => {
    const fn = (i: number) => `export function handler${i}(input: number): number {\n  const doubled = input * 2;\n  return doubled + ${i};\n}\n`;
    const giant = ['export function giant(x: number): number {', ...Array.from({ length: 1500 }, (_, i) => `  x = (x * 31 + ${i}) % 1000003;`), '  return x;', '}'];
    const text = [...Array.from({ length: 300 }, (_, i) => fn(i)), giant.join('\n'), ...Array.from({ length: 50 }, (_, i) => fn(300 + i))].join('\n');
    expect(text.split('\n').length).toBeGreaterThanOrEqual(3000);
    const chunks = await createChunker(defaults).chunkFile('big.ts', text, 'typescript');
    expectWellFormed(text, chunks, defaults);
    expect(chunks.every((c) => estimateTokens(c.text) <= defaults.maxTokens)).toBe(true);
    // The giant function is windowed, every window named after it.
    const giantChunks = chunks.filter((c) => c.symbols.includes('giant'));
    expect(giantChunks.length).toBeGreaterThan(10);
    expect(giantChunks.every((c) => c.symbols.length === 1)).toBe(true);
    // Small functions are merged rather than one chunk each.
    expect(chunks.length).toBeLessThan(350);
  });

  it('windows a 3000-line text file within budget', async () => {
    const text = Array.from({ length: 3000 }, (_, i) => `Paragraph ${i}: the quick brown fox jumps over the lazy dog.`).join('\n');
    const chunks = await createChunker(defaults).chunkFile('notes.md', text, 'markdown');
    expectWellFormed(text, chunks, defaults);
    expect(chunks.every((c) => c.symbols.length === 0)).toBe(true);
  });

  it('still covers every line of source with syntax errors', async () => {
    const text = 'def ok():\n    return 1\n\ndef broken(:\n    return (\n\nclass Fine:\n    pass\n';
    const chunks = await createChunker({ maxTokens: 16, windowLines: 4, overlapLines: 1 }).chunkFile('bad.py', text, 'python');
    expectWellFormed(text, chunks, { maxTokens: 16, windowLines: 4, overlapLines: 1 });
  });

  it('keeps CRLF line endings inside chunk text', async () => {
    const text = 'def a():\r\n    return 1\r\n\r\ndef b():\r\n    return 2\r\n';
    const chunks = await createChunker({ maxTokens: 16, windowLines: 4, overlapLines: 1 }).chunkFile('crlf.py', text, 'python');
    expectWellFormed(text, chunks, { maxTokens: 16, windowLines: 4, overlapLines: 1 });
    expect(chunks.flatMap((c) => c.symbols)).toEqual(['a', 'b']);
  });

  it('returns nothing for an empty or blank file', async () => {
    const c = createChunker(defaults);
    expect(await c.chunkFile('e.py', '', 'python')).toEqual([]);
    expect(await c.chunkFile('e.ts', '\n\n   \n', 'typescript')).toEqual([]);
    expect(await c.chunkFile('e.txt', '\n', 'text')).toEqual([]);
  });

  it('uses one parser for many files and languages in a row', async () => {
    const c = createChunker(defaults);
    for (let i = 0; i < 3; i++) {
      expect((await c.chunkFile('a.py', 'def f():\n    pass\n', 'python'))[0].symbols).toEqual(['f']);
      expect((await c.chunkFile('a.ts', 'function g() {}\n', 'typescript'))[0].symbols).toEqual(['g']);
      expect((await c.chunkFile('a.js', 'class H {}\n', 'javascript'))[0].symbols).toEqual(['H']);
    }
  });
});
