import type { FileDiff } from '../contracts/artifacts.js';
import type { ManifestFileEntry } from '../manifest/manifest.js';

/** Compare the files found now with the previous version's file table, by content hash. */
export function diffFiles(previous: Record<string, ManifestFileEntry>, current: { path: string; hash: string }[]): FileDiff {
  const diff: FileDiff = { added: [], changed: [], deleted: [], unchanged: [] };
  const seen = new Set<string>();
  for (const f of current) {
    seen.add(f.path);
    const before = previous[f.path];
    if (!before) diff.added.push(f.path);
    else if (before.hash !== f.hash) diff.changed.push(f.path);
    else diff.unchanged.push(f.path);
  }
  for (const p of Object.keys(previous)) if (!seen.has(p)) diff.deleted.push(p);
  for (const list of Object.values(diff)) list.sort();
  return diff;
}
