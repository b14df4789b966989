import { Router } from 'express';
import { listRepoManifests } from '../../manifest/listing.js';
import type { ManifestStore } from '../../manifest/store.js';

export function repoRoutes(deps: { manifests: ManifestStore }) {
  const router = Router();
  router.get('/v1/repos', async (_req, res) => {
    const listing = await listRepoManifests(deps.manifests);
    res.json(
      listing.map((entry) => {
        if (!('manifest' in entry)) return entry;
        const m = entry.manifest;
        return {
          name: entry.name,
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
        };
      }),
    );
  });
  return router;
}
