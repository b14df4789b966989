import { Router } from 'express';
import type { Readiness } from '../../observability/readiness.js';

export function healthRoutes(deps: { readiness: () => Promise<Readiness>; metrics: () => Promise<{ contentType: string; body: string }> }) {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const r = await deps.readiness();
    res.status(r.mode === 'down' ? 503 : 200).json(r);
  });
  router.get('/metrics', async (_req, res) => {
    const m = await deps.metrics();
    res.type(m.contentType).send(m.body);
  });
  return router;
}
