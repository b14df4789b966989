import { promises as fs } from 'node:fs';
import path from 'node:path';
import { exists } from './atomicWrite.js';

export interface FileCacheOptions {
  /** the cache directory (DATA_DIR/cache): keys become paths under it */
  dir: string;
  /** past this many bytes the least recently used files are deleted */
  maxBytes: number;
  /** fetch a key into a local file (atomically); false when the store has no such object */
  fetch(key: string, file: string): Promise<boolean>;
  /**
   * Files modified less than this long ago are not evicted (default 60 s): a writer builds a
   * part or FAISS file at its cache path and publishes it a moment later.
   */
  protectNewerThanMs?: number;
}

interface Entry {
  size: number;
  usedAt: number;
}

/**
 * Local copies of immutable objects (Parquet parts, FAISS files, id maps), because DuckDB and
 * FAISS read local files. Bounded by size, evicting least recently used. Objects are never
 * rewritten under the same key, so a cached copy never goes stale; new versions are new keys.
 * A file evicted while a reader still has it open stays readable to that reader (unlink on
 * POSIX), and the next materialize fetches it again.
 */
export class LocalFileCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly inFlight = new Map<string, Promise<string>>();
  private scanned: Promise<void> | null = null;
  /** keys a reader still opens (DuckDB over Parquet, mmapped FAISS): never evicted while held */
  private readonly held = new Map<string, number>();
  private clock = 0;

  constructor(private readonly opts: FileCacheOptions) {}

  pathOf(key: string): string {
    const full = path.resolve(this.opts.dir, key);
    if (!full.startsWith(path.resolve(this.opts.dir) + path.sep)) throw new Error(`cache key escapes the cache: ${key}`);
    return full;
  }

  /** Local paths of every key, fetched when missing; the whole set is kept while the cache trims itself. */
  async materialize(keys: string[]): Promise<string[]> {
    await this.scan();
    const paths = await Promise.all(keys.map((k) => this.one(k)));
    await this.evict(new Set(keys));
    return paths;
  }

  /** Keep these files past the budget until the returned release is called (once; later calls do nothing). */
  hold(keys: string[]): () => void {
    for (const k of keys) this.held.set(k, (this.held.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of keys) {
        const n = (this.held.get(k) ?? 1) - 1;
        if (n > 0) this.held.set(k, n);
        else this.held.delete(k);
      }
    };
  }

  /** Register a file this process wrote at pathOf(key) (and published): it counts against the budget like a fetched one. */
  async adopt(key: string): Promise<void> {
    await this.scan();
    const { size } = await fs.stat(this.pathOf(key));
    this.track(key, size);
    await this.evict(new Set([key]));
  }

  get usedBytes(): number {
    return this.bytes;
  }

  /** cached keys, least recently used first */
  get keys(): string[] {
    return [...this.entries.entries()].sort((a, b) => a[1].usedAt - b[1].usedAt).map(([k]) => k);
  }

  private async one(key: string): Promise<string> {
    const file = this.pathOf(key);
    const known = this.entries.get(key);
    if (known) {
      if (await exists(file)) {
        known.usedAt = ++this.clock;
        return file;
      }
      // removed behind our back (another process sharing the cache dir evicted it)
      this.untrack(key);
    }
    let p = this.inFlight.get(key);
    if (!p) {
      p = (async () => {
        if (!(await exists(file)) && !(await this.opts.fetch(key, file))) throw new Error(`${key} is not in the store`);
        this.track(key, (await fs.stat(file)).size);
        return file;
      })().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
    }
    return p;
  }

  private track(key: string, size: number): void {
    this.untrack(key);
    this.entries.set(key, { size, usedAt: ++this.clock });
    this.bytes += size;
  }

  private untrack(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.size;
    this.entries.delete(key);
  }

  private async evict(keep: Set<string>): Promise<void> {
    if (this.bytes <= this.opts.maxBytes) return;
    for (const key of this.keys) {
      if (this.bytes <= this.opts.maxBytes) break;
      if (keep.has(key) || this.inFlight.has(key) || this.held.has(key)) continue;
      // (0 = no protection: a file's mtime can be a fraction of a millisecond ahead of Date.now())
      const protect = this.opts.protectNewerThanMs ?? 60_000;
      const st = protect > 0 ? await fs.stat(this.pathOf(key)).catch(() => null) : null;
      if (st && Date.now() - st.mtimeMs < protect) continue;
      this.untrack(key);
      await fs.rm(this.pathOf(key), { force: true });
    }
  }

  /** What an earlier process left in the directory counts too, oldest first by mtime. */
  private scan(): Promise<void> {
    this.scanned ??= (async () => {
      const found: { key: string; size: number; mtimeMs: number }[] = [];
      const walk = async (dir: string) => {
        for (const d of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
          const full = path.join(dir, d.name);
          if (d.isDirectory()) await walk(full);
          else if (d.isFile() && !/\.tmp-\d+-[0-9a-f]{8}$/.test(d.name) && !/\.tmp$/.test(d.name)) {
            const st = await fs.stat(full).catch(() => null);
            if (st) found.push({ key: path.relative(this.opts.dir, full).split(path.sep).join('/'), size: st.size, mtimeMs: st.mtimeMs });
          }
        }
      };
      await walk(this.opts.dir);
      for (const f of found.sort((a, b) => a.mtimeMs - b.mtimeMs)) if (!this.entries.has(f.key)) this.track(f.key, f.size);
    })();
    return this.scanned;
  }
}
