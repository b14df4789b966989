import ignore from 'ignore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDb, type DuckDb } from '../../src/catalog/duckdb.js';
import {
  javaPathRegex,
  literalDirectory,
  luceneRegexp,
  MAX_GLOB_LENGTH,
  parsePathGlob,
  PathGlobError,
  re2PathRegex,
} from '../../src/pathFilter/index.js';
import { GLOB_ROWS, MALFORMED_GLOBS, type GlobRow } from '../support/pathGlobTable.js';
import { hasJava, javaMatches, luceneCoreJar, luceneMatches } from '../support/jvmRegex.js';
import { javaToRegExp, luceneToRegExp } from '../support/regexEvaluators.js';

const title = (r: GlobRow) => `${JSON.stringify(r.glob)} ${r.matches ? 'matches' : 'does not match'} ${JSON.stringify(r.path)}`;
const glob = (g: string) => parsePathGlob(g);

describe('the shared glob table', () => {
  it('holds distinct rows', () => {
    const keys = GLOB_ROWS.map((r) => `${r.glob}\0${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('gitignore reference (the ignore package, case-sensitive) agrees with the table', () => {
  const defined = GLOB_ROWS.filter((r) => !r.beyondGitignore);
  it.each(defined)('$glob / $path', (r) => {
    expect(ignore({ ignorecase: false }).add(r.glob).ignores(r.path), title(r)).toBe(r.matches);
  });
});

describe('DuckDB: the RE2 regex under regexp_full_match, as the catalog runs it', () => {
  let db: DuckDb;
  beforeAll(async () => {
    db = await createDuckDb({ poolSize: 1, threads: 1 });
  });
  afterAll(() => db.close());
  const fullMatch = (regex: string, path: string) =>
    db.withConnection(async (conn) => {
      const r = await conn.runAndReadAll('SELECT regexp_full_match($path, $regex) AS m', { path, regex });
      return r.getRowsJS()[0][0];
    });

  it.each(GLOB_ROWS)('$glob / $path', async (r) => {
    expect(await fullMatch(re2PathRegex([glob(r.glob)]), r.path), title(r)).toBe(r.matches);
  });

  // several globs become one regex in the catalog: a path passes when any glob passes it
  const byPath = new Map<string, GlobRow[]>();
  for (const r of GLOB_ROWS) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const unions = [...byPath].filter(([, rows]) => rows.length > 1);
  it.each(unions)('the union of the table globs for %j', async (path, rows) => {
    const expected = rows.some((r) => r.matches);
    expect(await fullMatch(re2PathRegex(rows.map((r) => glob(r.glob))), path)).toBe(expected);
    expect(await fullMatch(re2PathRegex(rows.map((r) => glob(r.glob)).reverse()), path)).toBe(expected);
  });
});

describe('OpenSearch: the Lucene regexp, evaluated by a Lucene→JS converter', () => {
  it.each(GLOB_ROWS)('$glob / $path', (r) => {
    expect(luceneToRegExp(luceneRegexp(glob(r.glob))).test(r.path), title(r)).toBe(r.matches);
  });
});

describe('OpenSearch: the path.tree shortcut for plain directory globs', () => {
  // path.tree is a path_hierarchy field: a term "a/b" hits "a/b" and everything under it
  const treeTermHits = (dir: string, path: string) => path === dir || path.startsWith(`${dir}/`);
  const rows = GLOB_ROWS.filter((r) => literalDirectory(glob(r.glob)) !== undefined);
  it('applies to some rows of the table', () => expect(rows.length).toBeGreaterThan(5));
  it.each(rows)('$glob / $path', (r) => {
    const lit = literalDirectory(glob(r.glob))!;
    expect(treeTermHits(lit.path, r.path) && !(lit.belowOnly && r.path === lit.path), title(r)).toBe(r.matches);
  });
});

describe('Neo4j: the Java regex under =~, evaluated as a full-match JS RegExp', () => {
  it.each(GLOB_ROWS)('$glob / $path', (r) => {
    expect(javaToRegExp(javaPathRegex(glob(r.glob))).test(r.path), title(r)).toBe(r.matches);
  });
});

describe.skipIf(!hasJava)('Neo4j: the Java regex on a real JVM (java.util.regex, skipped without java)', () => {
  let answers: Array<boolean | string>;
  beforeAll(() => {
    answers = javaMatches(GLOB_ROWS.map((r) => [javaPathRegex(glob(r.glob)), r.path]));
  }, 60_000);
  it.each(GLOB_ROWS.map((r, i) => ({ ...r, i })))('$glob / $path', (r) => {
    expect(answers[r.i], title(r)).toBe(r.matches);
  });
});

describe.skipIf(!hasJava || !luceneCoreJar)('OpenSearch: the regexp on real Lucene RegExp (skipped without java and lucene-core)', () => {
  let answers: Array<boolean | string>;
  beforeAll(() => {
    answers = luceneMatches(GLOB_ROWS.map((r) => [luceneRegexp(glob(r.glob)), r.path]));
  }, 60_000);
  it.each(GLOB_ROWS.map((r, i) => ({ ...r, i })))('$glob / $path', (r) => {
    expect(answers[r.i], title(r)).toBe(r.matches);
  });
});

describe('malformed globs', () => {
  it.each(MALFORMED_GLOBS)('%j is refused: %s', (g, reason) => {
    let error: unknown;
    try {
      parsePathGlob(g);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PathGlobError);
    expect((error as PathGlobError).glob).toBe(g);
    expect((error as PathGlobError).message).toMatch(reason);
    expect((error as PathGlobError).message).toContain(JSON.stringify(g.slice(0, 80)).slice(0, -1));
  });

  it('accepts a glob of exactly the longest length', () => {
    expect(() => parsePathGlob('a'.repeat(MAX_GLOB_LENGTH))).not.toThrow();
  });
});

describe('literalDirectory', () => {
  it.each([
    ['src/**', { path: 'src', belowOnly: true }],
    ['/src/', { path: 'src', belowOnly: true }],
    ['/src', { path: 'src', belowOnly: false }],
    ['docs/api.md', { path: 'docs/api.md', belowOnly: false }],
    ['src', undefined], // any depth
    ['src/', undefined],
    ['src/*.ts', undefined],
    ['src/**/', undefined],
    ['{src,lib}/**', undefined],
  ])('%j → %j', (g, expected) => {
    expect(literalDirectory(glob(g))).toEqual(expected);
  });
});
