import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, removeDir, writeTree } from '../fixtures/repoHelpers.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

/**
 * GET /v1/repos/:name/lines and /symbols: the indexed snapshot read back from
 * the chunk catalog. A small chunk budget splits the class into member
 * chunks, so members carry qualified names (Ledger.post).
 */

const LEDGER = [
  "'use strict';",
  '',
  'export class Ledger {',
  '  private entries: number[] = [];',
  '',
  '  /** add an entry, refusing non-finite amounts */',
  '  post(amount: number): void {',
  '    if (!Number.isFinite(amount)) throw new Error(`bad amount ${amount}`);',
  '    this.entries.push(amount);',
  '  }',
  '',
  '  /** the sum of every entry posted so far */',
  '  balance(): number {',
  '    return this.entries.reduce((sum, x) => sum + x, 0);',
  '  }',
  '',
  '',
  '  /** entries above a threshold, largest first */',
  '  largest(threshold: number): number[] {',
  '    return this.entries.filter((x) => x > threshold).sort((a, b) => b - a);',
  '  }',
  '}',
  '',
  'export function post(ledger: Ledger, amount: number) {',
  '  ledger.post(amount);',
  '}',
  '',
].join('\n');

let stack: TestStack;
let repo: string;

/** The fields these tests read, of a lines or symbols answer or of a problem. */
interface Body {
  type?: string;
  detail?: string;
  errors?: { field: string }[];
  lines?: string[];
  endLine?: number;
  totalLines?: number;
  definitions?: { symbol: string; path: string; line: number; signature: string }[];
  [k: string]: unknown;
}

const get = async (p: string) => {
  const res = await fetch(`${stack.url}${p}`);
  return { status: res.status, body: (await res.json()) as Body };
};

beforeAll(async () => {
  repo = await makeTmpDir('codeintel-ledger-');
  await writeTree(repo, { 'src/ledger.ts': LEDGER, 'notes.md': '# Notes\n\nThe ledger keeps entries.\n' });
  stack = await startStack({ env: { CHUNK_MAX_TOKENS: '40' } });
  const submitted = await postJson(`${stack.url}/v1/index-jobs`, { repo, name: 'ledger' });
  expect(submitted.status).toBe(202);
  expect((await waitForIndexJob(stack.url, submitted.body.jobId)).state).toBe('completed');
});

afterAll(async () => {
  await stack?.close();
  await removeDir(repo);
});

describe('GET /v1/repos/:name/lines', () => {
  it('rebuilds any range of an indexed file exactly, blank lines included', async () => {
    const file = (await fs.readFile(path.join(repo, 'src/ledger.ts'), 'utf8')).split('\n');
    const r = await get('/v1/repos/ledger/lines?path=src/ledger.ts&start=2&end=20');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ repo: 'ledger', path: 'src/ledger.ts', language: 'typescript', startLine: 2, endLine: 20, manifestVersion: 1 });
    expect(r.body.lines).toEqual(file.slice(1, 20));
  });

  it('cuts the range at the last indexed line and says how long the file is', async () => {
    const r = await get('/v1/repos/ledger/lines?path=src/ledger.ts&start=20&end=300');
    expect(r.status).toBe(200);
    expect(r.body.endLine).toBe(r.body.totalLines);
    expect(r.body.lines!.at(-1)).toBe('}');
  });

  it('serves the indexed text, not what the file holds now, once it changed on disk', async () => {
    const indexed = (await fs.readFile(path.join(repo, 'src/ledger.ts'), 'utf8')).split('\n');
    expect((await get('/v1/repos/ledger/lines?path=src/ledger.ts&start=1&end=5')).body.exact).toBe(true);
    await fs.writeFile(path.join(repo, 'src/ledger.ts'), 'export const changed = true;\n');
    try {
      const r = await get('/v1/repos/ledger/lines?path=src/ledger.ts&start=3&end=15');
      expect(r.status).toBe(200);
      expect(r.body.exact).toBe(false);
      expect(r.body.lines).toEqual(indexed.slice(2, 15));
    } finally {
      await fs.writeFile(path.join(repo, 'src/ledger.ts'), LEDGER);
    }
  });

  it('refuses paths outside the repo, files not indexed, and ranges over 400 lines', async () => {
    for (const p of ['../etc/passwd', '/etc/passwd', 'src/../../x', './../x']) {
      const r = await get(`/v1/repos/ledger/lines?path=${encodeURIComponent(p)}&start=1&end=2`);
      expect(r.status, p).toBe(400);
      expect(r.body.type, p).toMatch(/path-outside-repo/);
    }
    expect((await get('/v1/repos/ledger/lines?path=src/none.ts&start=1&end=2')).status).toBe(404);
    expect((await get('/v1/repos/nope/lines?path=a&start=1&end=2')).body.type).toMatch(/repo-not-indexed/);
    const big = await get('/v1/repos/ledger/lines?path=src/ledger.ts&start=1&end=401');
    expect(big.status).toBe(400);
    expect(big.body.detail).toMatch(/at most 400 lines/);
    const bad = await get('/v1/repos/ledger/lines?path=src/ledger.ts&start=0');
    expect(bad.status).toBe(400);
    expect(bad.body.errors!.map((e) => e.field).sort()).toEqual(['end', 'start']);
  });
});

describe('GET /v1/repos/:name/symbols', () => {
  it('finds a member by its short name through its qualified name, and a function of the same name', async () => {
    const r = await get('/v1/repos/ledger/symbols?name=post');
    expect(r.status).toBe(200);
    const found = r.body.definitions!.map((d) => [d.symbol, d.line]);
    expect(found).toEqual(expect.arrayContaining([['Ledger.post', 7], ['post', 24]]));
  });

  it('finds a class by name, and nothing for a name that is only used', async () => {
    expect((await get('/v1/repos/ledger/symbols?name=Ledger')).body.definitions).toEqual([
      expect.objectContaining({ symbol: 'Ledger', path: 'src/ledger.ts', line: 3, signature: 'export class Ledger {' }),
    ]);
    expect((await get('/v1/repos/ledger/symbols?name=entries')).body.definitions).toEqual([]);
  });

  it('takes LIKE wildcards in a name literally', async () => {
    expect((await get('/v1/repos/ledger/symbols?name=%25')).body.definitions).toEqual([]);
    expect((await get('/v1/repos/ledger/symbols?name=_ost')).body.definitions).toEqual([]);
  });
});
