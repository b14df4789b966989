import type { Logger } from '../observability/logger.js';
import { referencedFiles, type Manifest } from './manifest.js';
import type { ManifestStore } from './store.js';

export interface GcOptions {
  /** a superseded version (and what only it names) stays this long after it stopped being current */
  graceMs: number;
  /**
   * Parquet parts no manifest names yet may belong to a run still encoding
   * (sink.batch writes them before the run commits): they go only after this
   * long (default: the larger of graceMs and 24 h).
   */
  orphanGraceMs?: number;
  now?: number;
  logger?: Logger;
}

export interface GcResult {
  current: number | null;
  kept: number[];
  removedVersions: number[];
  removedFiles: string[];
}

const MANIFEST_FILE = /^manifest-v(\d+)\.json$/;
const DAY_MS = 24 * 3600_000;

/**
 * Delete what no reader can still need: manifest versions superseded longer
 * than the grace ago (or never made current and older than the grace), the
 * FAISS files and Parquet parts only they named, and stale temp files. A file
 * the current version names is never touched. Call it while holding the
 * repo's write lease, so no commit is half-way through meanwhile.
 */
export async function collectGarbage(store: ManifestStore, repo: string, opts: GcOptions): Promise<GcResult> {
  const now = opts.now ?? Date.now();
  const orphanGraceMs = opts.orphanGraceMs ?? Math.max(opts.graceMs, DAY_MS);
  const current = await store.currentVersion(repo);
  const result: GcResult = { current, kept: [], removedVersions: [], removedFiles: [] };
  if (current === null) return result;

  // the store's listing (a directory, or an object store's keys): name → modification time
  const files = new Map((await store.listFiles(repo)).map((f) => [f.name, f.modifiedMs]));
  const onDisk = new Map<number, number>(); // version → mtime
  for (const [name, mtime] of files) {
    const m = MANIFEST_FILE.exec(name);
    if (m) onDisk.set(Number(m[1]), mtime);
  }
  const manifests = new Map<number, Manifest | null>();
  const read = async (v: number) => {
    if (!manifests.has(v)) manifests.set(v, await store.read(repo, v).catch(() => null));
    return manifests.get(v)!;
  };

  // walk back from CURRENT while the successor was committed less than the grace ago
  const kept = new Set<number>([current]);
  let m = await read(current);
  if (!m) throw new Error(`repo ${repo}: CURRENT names version ${current} but its manifest cannot be read; not collecting`);
  while (m) {
    const prev = m.previousVersion !== undefined ? m.previousVersion : legacyPrevious(onDisk, m.version);
    if (prev === null || prev === undefined || !onDisk.has(prev)) break;
    if (now - Date.parse(m.createdAt) >= opts.graceMs) break;
    kept.add(prev);
    m = await read(prev);
  }

  const dropped: number[] = [];
  for (const [v, mtime] of onDisk) {
    if (kept.has(v)) continue;
    // above CURRENT: a crashed commit, or one in flight; only old ones go
    if (v > current && now - mtime < opts.graceMs) continue;
    dropped.push(v);
  }

  const keptRefs = new Set<string>();
  for (const v of kept) for (const f of referencedFiles((await read(v))!)) keptRefs.add(f);
  const namedByAny = new Set(keptRefs);
  const droppedRefs = new Set<string>();
  for (const v of dropped) {
    const d = await read(v);
    if (d) for (const f of referencedFiles(d)) droppedRefs.add(f);
  }
  for (const f of droppedRefs) namedByAny.add(f);

  const doomed = new Set<string>();
  for (const f of droppedRefs) if (!keptRefs.has(f)) doomed.add(f);
  // files no manifest names: FAISS files of crashed commits, parts of failed runs, temp files
  for (const [rel, mtime] of files) {
    const slash = rel.indexOf('/');
    const sub = slash < 0 ? '' : rel.slice(0, slash);
    const name = rel.slice(slash + 1);
    const age = now - mtime;
    if (sub === 'faiss' || sub === 'parts') {
      if (namedByAny.has(rel)) continue;
      const grace = sub === 'parts' && !isTempName(name) ? orphanGraceMs : opts.graceMs;
      if (age >= grace) doomed.add(rel);
    } else if (sub === '' && isTempName(name) && age >= opts.graceMs) doomed.add(rel);
  }
  for (const f of referencedFiles((await read(current))!)) {
    if (doomed.has(f)) throw new Error(`repo ${repo}: garbage collection would delete ${f}, which the current version names`);
  }

  // manifests first: no manifest on disk ever names a deleted file
  dropped.sort((a, b) => a - b);
  await store.removeFiles(repo, dropped.map((v) => `manifest-v${v}.json`));
  result.removedVersions.push(...dropped);
  const doomedFiles = [...doomed].sort();
  await store.removeFiles(repo, doomedFiles);
  result.removedFiles.push(...doomedFiles);
  result.kept = [...kept].sort((a, b) => a - b);
  if (result.removedVersions.length || result.removedFiles.length) {
    opts.logger?.info(
      { repo, current, kept: result.kept, removedVersions: result.removedVersions, removedFiles: result.removedFiles.length },
      'old index versions collected',
    );
  }
  return result;
}

/** Manifests written before `previousVersion` existed: the highest version below on disk. */
function legacyPrevious(onDisk: Map<number, number>, version: number): number | null {
  let best: number | null = null;
  for (const v of onDisk.keys()) if (v < version && (best === null || v > best)) best = v;
  return best;
}

/** Temp files of writeFileAtomic / buildIndexFiles (`x.tmp-<pid>-<hex>`) and of the Parquet sink (`.x.<pid>.<hex>.tmp`). */
const isTempName = (name: string) => /\.tmp-\d+-[0-9a-f]{8}$/.test(name) || /^\..*\.\d+\.[0-9a-f]{8}\.tmp$/.test(name);
