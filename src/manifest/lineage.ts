import type { Manifest } from './manifest.js';
import type { ManifestStore } from './store.js';

/**
 * The version a run committed, if any, looking back from `current` along the
 * previousVersion chain through versions created since the run was requested
 * (`notBefore`, ms). A run that crashed after its commit may find a
 * compaction's version on top of its own.
 */
export async function findCommittedBy(store: ManifestStore, current: Manifest | null, runId: string, notBefore: number): Promise<Manifest | null> {
  let m = current;
  while (m && !(Date.parse(m.createdAt) < notBefore)) {
    if (m.runId === runId) return m;
    const prev = m.previousVersion;
    if (prev === undefined || prev === null) return null;
    m = await store.read(m.repo, prev).catch(() => null);
  }
  return null;
}
