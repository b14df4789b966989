import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs regexes on a real JVM when one is installed: java.util.regex (what
 * Cypher's `=~` uses) and, when a lucene-core jar is found, Lucene's RegExp
 * (what OpenSearch's regexp query uses). Tests skip, saying so, without them.
 */
const here = dirname(fileURLToPath(import.meta.url));

export const hasJava = (() => {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
})();

/** LUCENE_CORE_JAR, or Debian's liblucene*-java jar. */
export const luceneCoreJar: string | undefined = (() => {
  if (process.env.LUCENE_CORE_JAR) return process.env.LUCENE_CORE_JAR;
  const dir = '/usr/share/java';
  if (!existsSync(dir)) return undefined;
  const jar = readdirSync(dir).find((f) => /^lucene-core-[\d.]+\.jar$/.test(f));
  return jar ? join(dir, jar) : undefined;
})();

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function run(program: string, classpath: string[], pairs: Array<[regex: string, path: string]>): Array<boolean | string> {
  const input = pairs.map(([re, p]) => `${b64(re)} ${b64(p)}`).join('\n') + '\n';
  const args = [...(classpath.length ? ['-cp', classpath.join(':')] : []), join(here, program)];
  const r = spawnSync('java', args, { input, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`java ${program} failed (${r.status}): ${r.stderr}`);
  const lines = r.stdout.trimEnd().split('\n');
  if (lines.length !== pairs.length) throw new Error(`java ${program}: ${lines.length} answers for ${pairs.length} questions`);
  return lines.map((l) => (l === 'true' ? true : l === 'false' ? false : l));
}

/** Pattern.compile(regex).matcher(path).matches() for each pair; a string is Java's error. */
export const javaMatches = (pairs: Array<[string, string]>) => run('JavaRegexMatch.java', [], pairs);

/** Lucene RegExp (flags ALL) accepts the whole path, for each pair; a string is Lucene's error. */
export const luceneMatches = (pairs: Array<[string, string]>) => run('LuceneRegexpMatch.java', [luceneCoreJar!], pairs);
