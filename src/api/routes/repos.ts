import path from 'node:path';
import { Router } from 'express';
import type { ManifestStore } from '../../manifest/store.js';

export function repoRoutes(deps: { manifests: ManifestStore }) {
  const router = Router();
  router.get('/v1/repos', async (_req, res) => {
    const out = [];
    for (const name of await deps.manifests.listRepos()) {
      let m;
      try {
        m = await deps.manifests.current(name);
      } catch (err) {
        // one damaged repo (CURRENT naming a missing or unreadable manifest) must not hide the others
        out.push({ name, broken: true, manifestVersion: await deps.manifests.currentVersion(name).catch(() => null), error: describeBroken(err) });
        continue;
      }
      if (!m) continue;
      out.push({
        name,
        manifestVersion: m.version,
        files: m.stats.files,
        chunks: m.stats.chunks,
        embedding: { model: m.embedding.model, dim: m.embedding.dim, provider: m.embedding.provider },
        sparse: m.sparse ? { model: m.sparse.model } : null,
        source: { kind: m.source.kind, location: m.source.location },
        vectors: {
          primary: m.vectors.primary ? { type: m.vectors.primary.type, count: m.vectors.primary.count } : null,
          secondary: m.vectors.secondary ? { type: m.vectors.secondary.type, count: m.vectors.secondary.count } : null,
        },
        updatedAt: m.createdAt,
      });
    }
    res.json(out);
  });
  return router;
}

function describeBroken(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { path?: string };
  if (e?.code === 'ENOENT' && e.path) return `CURRENT names ${path.basename(e.path)}, which is missing`;
  if (err instanceof SyntaxError) return `the current manifest is not valid JSON`;
  return `the current manifest cannot be read (${e?.code ?? 'error'})`;
}
