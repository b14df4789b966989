import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDb } from '../../src/catalog/duckdb.js';
import { SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { indexRepo, search } from '../support/indexing.js';
import { postJson, startStack, type TestStack } from '../support/stack.js';

/** Issue 13, hole 6: every resource a caller can make the server hold has a bound. */
describe('open repos for search are bounded', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: { SEARCH_MAX_OPEN_REPOS: '2' } });
    for (const name of ['one', 'two', 'three']) await indexRepo(stack, { repo: SAMPLE_REPO, name });
  }, 180_000);
  afterAll(async () => stack?.close());

  it('keeps only the most recently searched repos open, and reopens one searched again', async () => {
    const readers = await stack.server.runtime.readers();
    for (const name of ['one', 'two', 'three']) await search(stack, name, 'compute interest');
    expect(readers.openRepos).toEqual(['two', 'three']);
    const again = await search(stack, 'one', 'compute interest');
    expect(again.hits.length).toBeGreaterThan(0);
    expect(readers.openRepos).toEqual(['three', 'one']);
  });
});

describe('answer streams are capped and have a deadline', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // no answer role: the answers stay queued, the case where a stream would poll forever
    stack = await startStack({ roles: [], env: { ANSWER_MAX_STREAMS: '2', ANSWER_STREAM_MAX_S: '1' } });
    const dir = path.join(stack.dataDir, 'repos', 'queued');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'CURRENT'), '1\n');
  });
  afterAll(async () => stack?.close());

  const ask = async () => {
    const res = await postJson(`${stack.url}/v1/answers`, { repo: 'queued', question: 'why?' });
    expect(res.status).toBe(202);
    return `${stack.url}${res.body.eventsUrl}`;
  };

  it('refuses a stream past ANSWER_MAX_STREAMS with 503 and Retry-After, and ends each stream at its deadline', async () => {
    const urls = [await ask(), await ask(), await ask()];
    const started = Date.now();
    const open = await Promise.all(urls.slice(0, 2).map((u) => fetch(u)));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await fetch(urls[2]);
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(((await third.json()) as { type: string }).type).toContain('too-many-streams');
    // the two open streams end by themselves at ANSWER_STREAM_MAX_S although their answers never ran
    await Promise.all(open.map((r) => r.text()));
    expect(Date.now() - started).toBeLessThan(5_000);
    // and their slots are free again
    const later = await fetch(urls[2]);
    expect(later.status).toBe(200);
    await later.text();
  });
});

describe('a spent budget stops the DuckDB work', () => {
  it('an aborted signal interrupts the running query instead of letting it finish', async () => {
    const db = await createDuckDb({ threads: 1, poolSize: 1 });
    try {
      const abort = new AbortController();
      const started = Date.now();
      setTimeout(() => abort.abort(new Error('budget spent')), 100);
      const slow = db.withConnection((conn) => conn.run('SELECT sum(hash(i)) FROM range(20000000000) t(i)'), abort.signal);
      await expect(slow).rejects.toThrow(/interrupt/i);
      expect(Date.now() - started).toBeLessThan(3_000);
      // the connection is usable again
      const ok = await db.withConnection(async (conn) => (await conn.runAndReadAll('SELECT 42')).getRowsJS());
      expect(ok).toEqual([[42]]);
    } finally {
      await db.close();
    }
  });

  it('a caller whose budget runs out while waiting for a connection leaves the queue', async () => {
    const db = await createDuckDb({ threads: 1, poolSize: 1 });
    try {
      let release!: () => void;
      const busy = db.withConnection(() => new Promise<void>((r) => (release = r)));
      const abort = new AbortController();
      let ran = false;
      const waiting = db.withConnection(async () => {
        ran = true;
      }, abort.signal);
      abort.abort(new Error('budget spent'));
      await expect(waiting).rejects.toThrow('budget spent');
      release();
      await busy;
      expect(ran).toBe(false);
    } finally {
      await db.close();
    }
  });
});
