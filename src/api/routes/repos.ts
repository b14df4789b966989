import { Router } from 'express';
import type { ManifestStore } from '../../manifest/store.js';

export function repoRoutes(deps: { manifests: ManifestStore }) {
  const router = Router();
  router.get('/v1/repos', async (_req, res) => {
    const out = [];
    for (const name of await deps.manifests.listRepos()) {
      const m = await deps.manifests.current(name);
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
