import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { Router, type Request, type Response, type NextFunction } from 'express';
import { requestToken, tokenMatches } from '../src/api/auth.js';

export const BOARD_PATH = '/admin/queues';

function board(queues: Queue[], readOnly: boolean) {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    // every queue of the flow is registered, or the flow tree stops at the missing one
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: readOnly, allowRetries: !readOnly })),
    serverAdapter,
    options: { uiConfig: { boardTitle: readOnly ? 'codeintel (read-only)' : 'codeintel (admin)' } },
  });
  return serverAdapter.getRouter();
}

/**
 * Bull Board at /admin/queues: read-only unless the request carries an
 * admin token (Authorization: Bearer, or the cookie a browser gets by
 * opening /admin/queues?token=<admin token> once).
 */
export function bullBoardRouter(queues: Queue[], adminTokens: string[]) {
  const readOnlyBoard = board(queues, true);
  const adminBoard = adminTokens.length ? board(queues, false) : null;
  const router = Router();
  router.use(BOARD_PATH, (req: Request, res: Response, next: NextFunction) => {
    const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (fromQuery !== undefined) {
      res.setHeader('Set-Cookie', `codeintel_token=${encodeURIComponent(fromQuery)}; Path=${BOARD_PATH}; HttpOnly; SameSite=Strict`);
      return res.redirect(BOARD_PATH);
    }
    const isAdmin = adminBoard && tokenMatches(requestToken(req), adminTokens);
    return (isAdmin ? adminBoard : readOnlyBoard)(req, res, next);
  });
  return router;
}
