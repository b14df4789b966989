/**
 * Real source files per language for the chunking benchmark, the symbol-coverage count and
 * the property test. JavaScript/TypeScript come from this checkout's node_modules, Python
 * from the system's standard library; the others from Debian packages that ship sources
 * (fetched with `apt-get download` + `dpkg -x` into CODEINTEL_LANG_CORPUS, default
 * /tmp/codeintel-lang-corpus). C# has no Debian package with sources: put .cs files under
 * $CODEINTEL_LANG_CORPUS/csharp to include it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectLanguage } from '../src/repo/language.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CORPUS_DIR = process.env.CODEINTEL_LANG_CORPUS ?? '/tmp/codeintel-lang-corpus';

export const BENCH_LANGUAGES = ['go', 'rust', 'java', 'c', 'cpp', 'csharp', 'ruby', 'php', 'typescript', 'javascript', 'python'] as const;
export type BenchLanguage = (typeof BENCH_LANGUAGES)[number];

/** Debian packages whose sources stand for each language (none of the held-out projects). */
const DEBIAN: Partial<Record<BenchLanguage, { packages: string[]; roots: string[] }>> = {
  go: { packages: ['golang-golang-x-tools-dev'], roots: ['usr/share/gocode'] },
  rust: { packages: ['librust-tokio-dev', 'librust-syn-dev', 'librust-regex-dev'], roots: ['usr/share/cargo/registry'] },
  java: { packages: ['openjdk-17-source'], roots: ['jdk'] },
  c: { packages: ['libxcrypt-source'], roots: ['usr/src/libxcrypt'] },
  cpp: { packages: ['googletest', 'libboost1.74-dev'], roots: ['usr/src/googletest', 'usr/include/boost/asio', 'usr/include/boost/beast'] },
  ruby: { packages: ['libruby3.1'], roots: ['usr/lib/ruby/3.1.0'] },
  php: { packages: ['phpunit', 'php-doctrine-orm', 'php-doctrine-dbal'], roots: ['usr/share/php'] },
};

const LOCAL: Partial<Record<BenchLanguage, string[]>> = {
  javascript: [path.join(ROOT, 'node_modules')],
  typescript: [path.join(ROOT, 'node_modules')],
  python: ['/usr/lib/python3.11', '/usr/lib/python3.12', '/usr/lib/python3.13'],
  c: ['/usr/include'],
  csharp: [path.join(CORPUS_DIR, 'csharp')],
};

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });

/** Download and unpack the Debian packages of one language, once. Returns why not, if it could not. */
function ensureDebian(language: BenchLanguage): string | undefined {
  const spec = DEBIAN[language];
  if (!spec) return undefined;
  const dir = path.join(CORPUS_DIR, language);
  if (spec.roots.every((r) => existsSync(path.join(dir, r)))) return undefined;
  if (run('sh', ['-c', 'command -v apt-get && command -v dpkg'], '/').status !== 0) return 'no apt-get/dpkg on this machine';
  mkdirSync(path.join(dir, 'debs'), { recursive: true });
  const dl = run('apt-get', ['download', ...spec.packages], path.join(dir, 'debs'));
  if (dl.status !== 0) return `apt-get download ${spec.packages.join(' ')} failed: ${dl.stderr.trim().split('\n').at(-1)}`;
  for (const deb of readdirSync(path.join(dir, 'debs')).filter((f) => f.endsWith('.deb'))) run('dpkg', ['-x', path.join('debs', deb), '.'], dir);
  if (language === 'java') {
    const zip = path.join(dir, 'usr/lib/jvm/openjdk-17/lib/src.zip');
    mkdirSync(path.join(dir, 'jdk'), { recursive: true });
    const u = run('unzip', ['-q', '-o', zip, 'java.base/java/util/*', 'java.base/java/lang/*', 'java.base/java/io/*', 'java.base/java/time/*', '-d', 'jdk'], dir);
    if (u.status !== 0) return `unzip of the JDK sources failed (is unzip installed?)`;
  }
  return undefined;
}

/** Files under `root` whose detected language is `language`, in a stable order, skipping huge generated files. */
function* walk(root: string, language: string, maxBytes: number): Generator<string> {
  let entries: string[];
  try {
    entries = readdirSync(root).sort();
  } catch {
    return;
  }
  for (const name of entries) {
    const full = path.join(root, name);
    let st;
    try {
      st = statSync(full);
    } catch {
      continue;
    }
    if (st.isDirectory()) yield* walk(full, language, maxBytes);
    else if (st.isFile() && st.size > 0 && st.size <= maxBytes && detectLanguage(name) === language) yield full;
  }
}

export interface CorpusFiles {
  language: BenchLanguage;
  files: string[];
  /** why the corpus is empty or short, when it is */
  note?: string;
}

/** Up to `limit` files of one language (spread over its roots), fetching Debian sources when allowed. */
export function corpusFiles(language: BenchLanguage, limit: number, opts: { download?: boolean; maxBytes?: number } = {}): CorpusFiles {
  const note = opts.download === false ? undefined : ensureDebian(language);
  const spec = DEBIAN[language];
  const roots = [...(LOCAL[language] ?? []), ...(spec?.roots.map((r) => path.join(CORPUS_DIR, language, r)) ?? [])].filter(existsSync);
  const files: string[] = [];
  const perRoot = Math.ceil(limit / Math.max(1, roots.length));
  for (const root of roots) {
    let n = 0;
    for (const f of walk(root, language, opts.maxBytes ?? 256 * 1024)) {
      if (files.length >= limit || n >= perRoot) break;
      files.push(f);
      n++;
    }
  }
  if (files.length < limit) {
    // top up from the roots in order when one root had fewer files than its share
    const have = new Set(files);
    for (const root of roots) for (const f of walk(root, language, opts.maxBytes ?? 256 * 1024)) {
      if (files.length >= limit) break;
      if (!have.has(f)) files.push(f);
    }
  }
  return { language, files, note: files.length ? note : note ?? `no ${language} sources found (looked in ${roots.join(', ') || 'no existing directory'})` };
}
