import path from 'node:path';
import type { Manifest } from './manifest.js';
import type { ManifestStore } from './store.js';

/** A repo as the store lists it: its current manifest, or why that cannot be read. */
export type RepoListing =
  | { name: string; manifest: Manifest }
  | { name: string; broken: true; manifestVersion: number | null; error: string };

/**
 * Every repo with a current version. One damaged repo (CURRENT naming a
 * missing or unreadable manifest) is listed as broken and never hides the others.
 */
export async function listRepoManifests(store: ManifestStore): Promise<RepoListing[]> {
  const out: RepoListing[] = [];
  for (const name of await store.listRepos()) {
    try {
      const manifest = await store.current(name);
      if (manifest) out.push({ name, manifest });
    } catch (err) {
      out.push({ name, broken: true, manifestVersion: await store.currentVersion(name).catch(() => null), error: describeBroken(err) });
    }
  }
  return out;
}

function describeBroken(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { path?: string };
  if (e?.code === 'ENOENT' && e.path) return `CURRENT names ${path.basename(e.path)}, which is missing`;
  if (err instanceof SyntaxError) return `the current manifest is not valid JSON`;
  return `the current manifest cannot be read (${e?.code ?? 'error'})`;
}
