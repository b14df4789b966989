import type { NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from './problem.js';

/**
 * Host and Origin validation against DNS rebinding (issue 13) and, on /mcp,
 * as the MCP Streamable HTTP spec requires.
 *
 * A page on evil.example can make a browser resolve its own name to
 * 127.0.0.1 and then talk to this server as "evil.example": the browser sees
 * a same-origin request, so CORS does not stop it. Two checks close that:
 *  - open API (no API_TOKENS / ADMIN_TOKENS): the Host header must name
 *    loopback (localhost, 127.0.0.1 or [::1]) with the port the request came
 *    in on; any other Host is 403. A rebinding page always sends its own name.
 *  - an Origin header (browsers send one on cross-site and on POST requests)
 *    must be this server's own origin; a foreign one is 403. With tokens set,
 *    a browser cannot present the bearer token cross-site, so only /mcp keeps
 *    the Origin check (the spec asks for it regardless of auth).
 * Requests without Origin (CLIs, agents, curl) are not browsers and pass.
 */

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface OriginGuardOptions {
  /** true when API_TOKENS or ADMIN_TOKENS are set: every route then needs a bearer token */
  authenticated: boolean;
  /** path prefixes that check Origin even when authenticated (the MCP endpoint) */
  originCheckedPaths?: string[];
}

/** "name:port" of a Host header or URL host, lower-cased; the port defaults to 80. */
function splitHost(host: string): { name: string; port: number } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (!m) return null;
  return { name: m[1].toLowerCase(), port: m[2] ? Number(m[2]) : 80 };
}

const isLoopbackAt = (host: { name: string; port: number } | null, port: number) => !!host && LOOPBACK_NAMES.has(host.name) && host.port === port;

/** Whether an Origin is the server's own: the Host the request names, or loopback at the port it came in on. */
export function isOwnOrigin(origin: string, hostHeader: string | undefined, localPort: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file://) and garbage are foreign
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const originHost = splitHost(url.port ? `${url.hostname}:${url.port}` : `${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`);
  if (isLoopbackAt(originHost, localPort)) return true;
  const requestHost = hostHeader ? splitHost(hostHeader) : null;
  return !!originHost && !!requestHost && originHost.name === requestHost.name && originHost.port === requestHost.port;
}

export function originGuard(opts: OriginGuardOptions) {
  const checked = opts.originCheckedPaths ?? ['/mcp'];
  return (req: Request, res: Response, next: NextFunction) => {
    const localPort = req.socket.localPort ?? 0;
    const host = req.headers.host;
    if (!opts.authenticated && !isLoopbackAt(host ? splitHost(host) : null, localPort)) {
      return sendProblem(res, {
        ...problem(
          403,
          'host-not-allowed',
          `Host "${host ?? ''}" is refused: without API_TOKENS this server answers only to localhost, 127.0.0.1 or [::1] on port ${localPort}; set API_TOKENS to serve other names`,
        ),
        instance: req.originalUrl,
      });
    }
    const origin = req.headers.origin;
    const mustCheck = !opts.authenticated || checked.some((p) => req.path === p || req.path.startsWith(`${p}/`));
    if (origin !== undefined && mustCheck && !isOwnOrigin(origin, host, localPort)) {
      return sendProblem(res, {
        ...problem(403, 'origin-not-allowed', `Origin "${origin}" is not this server's origin; cross-site browser requests are refused`),
        instance: req.originalUrl,
      });
    }
    next();
  };
}
