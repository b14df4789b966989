import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createFileExclusive, exists, writeFileAtomic } from '../artifacts/atomicWrite.js';
import { FencedOutError } from '../errors/fencedOutError.js';
import type { Manifest } from './manifest.js';
import { REPO_NAME_PATTERN } from '../contracts/names.js';
import { InvalidInputError } from '../errors/invalidInputError.js';

/** A file under a repo's directory in the store, as garbage collection lists it. */
export interface RepoFile {
  /** relative to the repo directory: `manifest-v3.json`, `faiss/primary-v3.index`, `parts/part-….parquet` */
  name: string;
  modifiedMs: number;
}

/**
 * Committed data of every repo: versioned manifests, the pointer to the current one, and the
 * immutable files they name (Parquet parts, FAISS files, id maps). Two adapters: the directory
 * under DATA_DIR (below) and an object store with its pointer in Redis (objectManifestStore.ts).
 * Writers build files at `repoDir(repo)/<name>` and publish them; readers ask for local paths
 * with `materialize` (DuckDB and FAISS read local files).
 */
export interface ManifestStore {
  /** true when committed files live elsewhere and reading one may mean downloading it */
  readonly remote: boolean;
  /** the local directory a repo's files are written to and read from (for the object store: its cache) */
  repoDir(repo: string): string;
  currentVersion(repo: string): Promise<number | null>;
  read(repo: string, version: number): Promise<Manifest>;
  current(repo: string): Promise<Manifest | null>;
  nextVersion(repo: string): Promise<number>;
  /** Make `manifest` the current version atomically; refused (FencedOutError) for a stale fence or a taken version. */
  commit(manifest: Manifest, opts?: { fence?: number }): Promise<void>;
  listRepos(): Promise<string[]>;
  /** Local paths of committed files, always `repoDir(repo)/<name>` (fetched into the cache when the store is remote). */
  materialize(repo: string, names: string[]): Promise<string[]>;
  /**
   * Keep committed files local until the returned release is called: for readers that open
   * them lazily rather than loading them once (a no-op when the directory is the store).
   */
  hold(repo: string, names: string[]): () => void;
  /** Make a file written at `repoDir(repo)/name` part of the store (a no-op when the directory is the store). */
  publish(repo: string, name: string): Promise<void>;
  hasFile(repo: string, name: string): Promise<boolean>;
  /** Every file of the repo in the store (its top level, `faiss/` and `parts/`). */
  listFiles(repo: string): Promise<RepoFile[]>;
  removeFiles(repo: string, names: string[]): Promise<void>;
}

/**
 * Versioned manifests per repo under `<dataDir>/repos/<repo>/`. A commit
 * writes `manifest-vN.json` (temp, fsync, rename) and then swaps `CURRENT`
 * the same way, so a reader sees the old version or the new one, never half.
 * One writer per repo: the index queue runs one job per repo at a time.
 */
export class DirectoryManifestStore implements ManifestStore {
  readonly remote = false;
  constructor(readonly dataDir: string) {}

  repoDir(repo: string): string {
    if (!REPO_NAME_PATTERN.test(repo)) throw new InvalidInputError('invalid-name', `invalid repo name: ${JSON.stringify(repo)}`);
    return path.join(this.dataDir, 'repos', repo);
  }

  async currentVersion(repo: string): Promise<number | null> {
    try {
      const text = await fs.readFile(path.join(this.repoDir(repo), 'CURRENT'), 'utf8');
      const n = Number(text.trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async read(repo: string, version: number): Promise<Manifest> {
    const file = path.join(this.repoDir(repo), `manifest-v${version}.json`);
    return JSON.parse(await fs.readFile(file, 'utf8')) as Manifest;
  }

  async current(repo: string): Promise<Manifest | null> {
    const version = await this.currentVersion(repo);
    return version === null ? null : this.read(repo, version);
  }

  /** The next version number: one above every manifest file on disk, so a crashed commit's file is never reused. */
  async nextVersion(repo: string): Promise<number> {
    const dir = this.repoDir(repo);
    let max = (await this.currentVersion(repo)) ?? 0;
    try {
      for (const name of await fs.readdir(dir)) {
        const m = /^manifest-v(\d+)\.json$/.exec(name);
        if (m) max = Math.max(max, Number(m[1]));
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return max + 1;
  }

  /**
   * Write the manifest file, then swap CURRENT to it. With a fencing token (the
   * repo lease's, increasing with every grant) the commit is refused when a
   * writer with a newer token has already committed — a writer that lost its
   * lease cannot commit over its successor — and the version file is created
   * exclusively, so two writers can never both commit version N.
   */
  async commit(manifest: Manifest, opts: { fence?: number } = {}): Promise<void> {
    const dir = this.repoDir(manifest.repo);
    const fenceFile = path.join(dir, 'FENCE');
    const newest = async () => Number((await fs.readFile(fenceFile, 'utf8').catch(() => '0')).trim()) || 0;
    const refuse = (why: string) => new FencedOutError(manifest.repo, `manifest v${manifest.version} of ${manifest.repo} not committed: ${why}`, { fence: opts.fence });
    if (opts.fence !== undefined && opts.fence < (await newest())) throw refuse('a writer with a newer lease has committed since this one took its lease');
    try {
      await createFileExclusive(path.join(dir, `manifest-v${manifest.version}.json`), JSON.stringify(manifest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refuse(`another writer already wrote version ${manifest.version}`);
      throw err;
    }
    if (opts.fence !== undefined) {
      // checked again after the slow part: the window left is between this read and the rename below
      if (opts.fence < (await newest())) throw refuse('a writer with a newer lease has committed since this one took its lease');
      await writeFileAtomic(fenceFile, `${opts.fence}\n`);
    }
    await writeFileAtomic(path.join(dir, 'CURRENT'), `${manifest.version}\n`);
  }

  async listRepos(): Promise<string[]> {
    const root = path.join(this.dataDir, 'repos');
    if (!(await exists(root))) return [];
    const names = await fs.readdir(root);
    const out: string[] = [];
    for (const name of names.sort()) {
      if (REPO_NAME_PATTERN.test(name) && (await this.currentVersion(name)) !== null) out.push(name);
    }
    return out;
  }

  async materialize(repo: string, names: string[]): Promise<string[]> {
    const dir = this.repoDir(repo);
    return names.map((n) => path.join(dir, n));
  }

  hold(): () => void {
    return () => {};
  }

  async publish(): Promise<void> {}

  async hasFile(repo: string, name: string): Promise<boolean> {
    return exists(path.join(this.repoDir(repo), name));
  }

  async listFiles(repo: string): Promise<RepoFile[]> {
    const dir = this.repoDir(repo);
    const out: RepoFile[] = [];
    for (const sub of ['', 'faiss/', 'parts/']) {
      for (const d of await fs.readdir(path.join(dir, sub), { withFileTypes: true }).catch(() => [])) {
        if (!d.isFile()) continue;
        const name = sub + d.name;
        out.push({ name, modifiedMs: (await fs.stat(path.join(dir, name)).catch(() => null))?.mtimeMs ?? Date.now() });
      }
    }
    return out;
  }

  async removeFiles(repo: string, names: string[]): Promise<void> {
    const dir = this.repoDir(repo);
    for (const n of names) await fs.rm(path.join(dir, n), { force: true, recursive: false });
  }
}
