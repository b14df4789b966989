import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from './problem.js';

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export const tokenMatches = (token: string | undefined, tokens: string[]) => !!token && tokens.some((t) => safeEqual(t, token));

/** The bearer token of a request, or the dashboard cookie a browser got with ?token=. */
export function requestToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const cookie = req.headers.cookie
    ?.split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith('codeintel_token='));
  return cookie ? decodeCookieValue(cookie.slice('codeintel_token='.length)) : undefined;
}

/** A percent-encoded cookie value; a malformed one (`%zz`) is simply not a token (→ 401), not a crash. */
function decodeCookieValue(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** Bearer-token auth on every route but /healthz, when API_TOKENS (or ADMIN_TOKENS) is set. */
export function bearerAuth(apiTokens: string[], adminTokens: string[]) {
  const all = [...apiTokens, ...adminTokens];
  return (req: Request, res: Response, next: NextFunction) => {
    if (all.length === 0 || req.path === '/healthz') return next();
    const token = requestToken(req);
    if (tokenMatches(token, all)) return next();
    // a browser opening the dashboard link with ?token= (the board sets a cookie from it)
    const fromQuery = req.path.startsWith('/admin/queues') && typeof req.query.token === 'string' ? req.query.token : undefined;
    if (tokenMatches(fromQuery, all)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="codeintel"');
    sendProblem(res, {
      ...problem(401, 'unauthorized', token ? 'the bearer token is not valid' : 'this route needs Authorization: Bearer <token>'),
      instance: req.originalUrl,
    });
  };
}
