import path from 'node:path';
import type { LocalFileCache } from '../artifacts/fileCache.js';
import { exists } from '../artifacts/atomicWrite.js';
import type { ObjectStore } from '../artifacts/objectStore.js';
import { REPO_NAME_PATTERN } from '../contracts/names.js';
import { FencedOutError } from '../errors/fencedOutError.js';
import { InvalidInputError } from '../errors/invalidInputError.js';
import { referencedFiles, type Manifest } from './manifest.js';
import type { ManifestPointer } from './pointer.js';
import type { ManifestStore, RepoFile } from './store.js';

const MANIFEST_FILE = /^manifest-v(\d+)\.json$/;

/**
 * Committed data in an object store (S3): `repos/<repo>/manifest-vN.json`, `parts/…`, `faiss/…`,
 * each written once, and the current version in a ManifestPointer (Redis). A commit uploads the
 * files its manifest names that the store lacks (FAISS files the committer built), writes the
 * manifest, then swaps the pointer with a compare-and-set: a reader following the pointer only
 * ever finds a version whose every object is already there. Local copies live in the file cache,
 * whose directory doubles as each repo's working directory for writers.
 */
export class ObjectManifestStore implements ManifestStore {
  readonly remote = true;
  private readonly manifests = new Map<string, Manifest>();

  constructor(
    private readonly deps: {
      objects: ObjectStore;
      pointer: ManifestPointer;
      /** keys `repos/<repo>/<name>` under `cacheDir` */
      cache: LocalFileCache;
      cacheDir: string;
    },
  ) {}

  repoDir(repo: string): string {
    return path.join(this.deps.cacheDir, 'repos', this.checked(repo));
  }

  async currentVersion(repo: string): Promise<number | null> {
    const v = await this.deps.pointer.read(this.checked(repo));
    if (v !== null) return v;
    // Redis lost the pointer (no persistence, failover): the store's CURRENT copy restores it
    const copy = await this.deps.objects.get(this.key(repo, 'CURRENT'));
    const n = copy ? Number(copy.toString('utf8').trim()) : NaN;
    if (!Number.isInteger(n) || n <= 0) return null;
    await this.deps.pointer.seed(repo, n);
    return this.deps.pointer.read(repo);
  }

  async read(repo: string, version: number): Promise<Manifest> {
    const id = `${repo}@${version}`;
    const cached = this.manifests.get(id);
    if (cached) return cached;
    const key = this.key(repo, `manifest-v${version}.json`);
    const body = await this.deps.objects.get(key);
    if (!body) throw Object.assign(new Error(`${this.deps.objects.location}/${key} is missing`), { code: 'ENOENT', path: key });
    const manifest = JSON.parse(body.toString('utf8')) as Manifest;
    // versions are immutable: keep the newest few parsed
    this.manifests.set(id, manifest);
    if (this.manifests.size > 256) this.manifests.delete(this.manifests.keys().next().value!);
    return manifest;
  }

  async current(repo: string): Promise<Manifest | null> {
    const version = await this.currentVersion(repo);
    return version === null ? null : this.read(repo, version);
  }

  async nextVersion(repo: string): Promise<number> {
    let floor = (await this.currentVersion(repo)) ?? 0;
    for (const o of await this.deps.objects.list(this.key(repo, 'manifest-v'))) {
      const m = MANIFEST_FILE.exec(o.key.slice(this.key(repo, '').length));
      if (m) floor = Math.max(floor, Number(m[1]));
    }
    // handed out by Redis: two writers never get the same number, even before either has written
    return this.deps.pointer.allocateVersion(repo, floor);
  }

  async commit(manifest: Manifest, opts: { fence?: number } = {}): Promise<void> {
    const repo = this.checked(manifest.repo);
    const refuse = (why: string) => new FencedOutError(repo, `manifest v${manifest.version} of ${repo} not committed: ${why}`, { fence: opts.fence });
    const stored = new Set((await this.deps.objects.list(this.key(repo, ''))).map((o) => o.key));
    const manifestKey = this.key(repo, `manifest-v${manifest.version}.json`);
    if (stored.has(manifestKey)) throw refuse(`another writer already wrote version ${manifest.version}`);
    // every object the version names goes in before the manifest that names it
    for (const name of referencedFiles(manifest)) {
      if (stored.has(this.key(repo, name))) continue;
      const local = path.join(this.repoDir(repo), name);
      if (!(await exists(local))) throw new Error(`${name}, named by manifest v${manifest.version} of ${repo}, is neither in ${this.deps.objects.location} nor in ${this.repoDir(repo)}`);
      await this.publish(repo, name);
    }
    await this.deps.objects.put(manifestKey, JSON.stringify(manifest));
    const swapped = await this.deps.pointer.swap(repo, { expected: manifest.previousVersion, next: manifest.version, fence: opts.fence });
    if (!swapped.ok) {
      throw refuse(
        swapped.reason === 'fenced'
          ? `a writer with a newer lease (fence ${swapped.fence}) has committed since this one took its lease`
          : `the current version is ${swapped.current ?? 'none'}, not ${manifest.previousVersion ?? 'none'} this commit was planned on`,
      );
    }
    // the durable copy of the pointer, for recovery only; Redis stays the authority
    await this.deps.objects.put(this.key(repo, 'CURRENT'), `${manifest.version}\n`);
  }

  async listRepos(): Promise<string[]> {
    const out: string[] = [];
    for (const name of await this.deps.objects.listChildren('repos/')) {
      if (REPO_NAME_PATTERN.test(name) && (await this.currentVersion(name)) !== null) out.push(name);
    }
    return out;
  }

  async materialize(repo: string, names: string[]): Promise<string[]> {
    return this.deps.cache.materialize(names.map((n) => this.cacheKey(repo, n)));
  }

  hold(repo: string, names: string[]): () => void {
    return this.deps.cache.hold(names.map((n) => this.cacheKey(repo, n)));
  }

  async publish(repo: string, name: string): Promise<void> {
    await this.deps.objects.upload(this.key(repo, name), path.join(this.repoDir(repo), name));
    // the writer's copy is already local: keep it as a cache entry
    await this.deps.cache.adopt(this.cacheKey(repo, name));
  }

  async hasFile(repo: string, name: string): Promise<boolean> {
    return this.deps.objects.has(this.key(repo, name));
  }

  async listFiles(repo: string): Promise<RepoFile[]> {
    const base = this.key(repo, '');
    return (await this.deps.objects.list(base)).map((o) => ({ name: o.key.slice(base.length), modifiedMs: o.modifiedMs }));
  }

  async removeFiles(repo: string, names: string[]): Promise<void> {
    if (names.length) await this.deps.objects.delete(names.map((n) => this.key(repo, n)));
  }

  private checked(repo: string): string {
    if (!REPO_NAME_PATTERN.test(repo)) throw new InvalidInputError('invalid-name', `invalid repo name: ${JSON.stringify(repo)}`);
    return repo;
  }

  private key(repo: string, name: string): string {
    return `repos/${this.checked(repo)}/${name}`;
  }

  private cacheKey(repo: string, name: string): string {
    return `repos/${this.checked(repo)}/${name}`;
  }
}
