import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileRankOf, rankOf, score } from '../../bench/quality/metrics.js';
import { loadQuestions, resolveQuestion, type Question } from '../../bench/quality/questions.js';
import { CORPORA } from '../../bench/quality/corpora.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';

const hit = (p: string, startLine: number, endLine: number) => ({ path: p, startLine, endLine });

/** The identifier a definition line defines, in the languages of the set. */
function definedName(definition: string): string | null {
  const prototype = /prototype\.(\w+)\s*=/.exec(definition); // Reply.prototype.code = function (code) {
  if (prototype) return prototype[1];
  const line = definition.replace(/^func \([^)]*\)\s*/, 'func '); // a Go method's receiver
  const type = /\b(?:class|struct|trait|enum|interface)\s+(\w+)/.exec(line);
  if (type) return type[1];
  return /(\w+)\s*[(<]/.exec(line)?.[1] ?? null; // def f(, fn f<, function f (, TSNode *ts_f(
}

describe('bench:quality scoring', () => {
  it('ranks the first hit whose lines contain the definition line of the target file', () => {
    const hits = [hit('docs/guide.md', 1, 40), hit('src/a.ts', 1, 9), hit('src/a.ts', 10, 30)];
    expect(rankOf(hits, [{ path: 'src/a.ts', line: 12 }])).toBe(3);
  });

  it('does not count a hit in the right file that ends before the definition line', () => {
    expect(rankOf([hit('src/a.ts', 1, 11)], [{ path: 'src/a.ts', line: 12 }])).toBeNull();
  });

  it('counts a hit on the declaration as well as on the definition', () => {
    const targets = [
      { path: 'lib/src/parser.c', line: 200 },
      { path: 'lib/include/api.h', line: 50 },
    ];
    expect(rankOf([hit('README.md', 1, 9), hit('lib/include/api.h', 40, 60)], targets)).toBe(2);
  });

  it('reports the first hit in the target file as a separate diagnostic', () => {
    expect(fileRankOf([hit('test/a.test.ts', 1, 50), hit('src/a.ts', 1, 5)], [{ path: 'src/a.ts', line: 12 }])).toBe(2);
  });

  it('computes recall at 1, 5 and 10 and MRR with misses scoring zero', () => {
    expect(score([1, 2, 6, null])).toEqual({ questions: 4, recall_at_1: 0.25, recall_at_5: 0.5, recall_at_10: 0.75, mrr: 0.417 });
  });
});

describe('bench:quality targets', () => {
  let dir: string;
  const question = (definition: string, occurrence?: number): Question => ({
    id: 'demo-01',
    repo: 'demo',
    query: 'how does the demo do its thing',
    target: { path: 'src/demo.py', definition, ...(occurrence ? { occurrence } : {}) },
  });

  beforeAll(async () => {
    dir = await makeTmpDir('bench-quality-targets-');
    await fs.mkdir(path.join(dir, 'src'));
    await fs.writeFile(path.join(dir, 'src/demo.py'), 'import os\n\ndef run(x):\n    return x\n\nclass A:\n    def go(self):\n        pass\n\nclass B:\n    def go(self):\n        pass\n');
  });
  afterAll(() => removeDir(dir));

  it('finds the line of a definition that occurs once, ignoring indentation', async () => {
    expect((await resolveQuestion(question('def run(x):'), dir)).resolved).toEqual([{ path: 'src/demo.py', line: 3 }]);
  });

  it('takes the recorded occurrence of a definition line that appears twice', async () => {
    expect((await resolveQuestion(question('def go(self):', 2), dir)).resolved[0].line).toBe(11);
  });

  it('refuses an ambiguous definition line and names the lines to choose from', async () => {
    await expect(resolveQuestion(question('def go(self):'), dir)).rejects.toThrow(/occurs 2 times .*lines 7, 11.*occurrence/);
  });

  it('refuses a definition line that is not in the file', async () => {
    await expect(resolveQuestion(question('def walk(x):'), dir)).rejects.toThrow(/occurs 0 times/);
  });

  it('refuses a target file that does not exist', async () => {
    await expect(resolveQuestion({ ...question('def run(x):'), target: { path: 'src/nope.py', definition: 'def run(x):' } }, dir)).rejects.toThrow(/cannot read demo\/src\/nope.py/);
  });
});

describe('bench:quality question set', () => {
  it('has at least 120 questions over at least 6 known repositories, each with a unique id', async () => {
    const questions = await loadQuestions(path.resolve(__dirname, '../../bench/quality/questions.json'));
    const repos = new Set(questions.map((q) => q.repo));
    expect(questions.length).toBeGreaterThanOrEqual(120);
    expect(repos.size).toBeGreaterThanOrEqual(6);
    for (const repo of repos) expect(CORPORA.map((c) => c.name)).toContain(repo);
  });

  it("never names the answer: no query spells the target's identifier, alone or split into words", async () => {
    const questions = await loadQuestions(path.resolve(__dirname, '../../bench/quality/questions.json'));
    const leaks = questions.flatMap((q) => {
      const name = definedName(q.target.definition);
      if (!name) return [`${q.id}: no name found in ${q.target.definition}`];
      const squashed = name.toLowerCase().replace(/[^a-z0-9]/g, '');
      const words = q.query.toLowerCase().match(/[a-z0-9]+/g) ?? [];
      // "first value from", "firstvaluefrom", "group by": any run of up to 5 words that squashes to the name
      const runs = words.flatMap((_, i) => [1, 2, 3, 4, 5].map((n) => words.slice(i, i + n).join('')));
      return runs.includes(squashed) ? [`${q.id}: ${JSON.stringify(q.query)} names ${name}`] : [];
    });
    expect(leaks).toEqual([]);
  });

  it('keeps the held-out repositories out of the corpora', () => {
    const pins = CORPORA.map((c) => (c.kind === 'npm' ? c.spec : c.package)).join(' ');
    for (const heldOut of ['requests', 'express', 'bullmq', 'cobra', 'serde-json', 'serde_json']) expect(pins).not.toMatch(new RegExp(`\\b${heldOut}\\b`));
  });
});
