import { z } from 'zod';
import { absolutePaths, httpUrl, int, list, text } from './parsers.js';

/** The HTTP API: where it listens, who may call it, which local repos it may read, and where the CLI finds it. */
export const serverSection = z
  .object({
    PORT: int(8080, 0, 65535),
    HOST: text('127.0.0.1'),
    API_TOKENS: list(','),
    ADMIN_TOKENS: list(','),
    /** empty = any readable absolute path (loopback only, see rules.ts) */
    REPO_ROOTS: absolutePaths(':'),
    MAX_BODY_BYTES: int(1_048_576, 1024),
    CODEINTEL_URL: httpUrl(),
  })
  .transform((e) => ({
    port: e.PORT,
    host: e.HOST,
    apiTokens: e.API_TOKENS,
    adminTokens: e.ADMIN_TOKENS,
    repoRoots: e.REPO_ROOTS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    /** where the CLI finds the API */
    apiUrl: e.CODEINTEL_URL ?? `http://${connectableHost(e.HOST)}:${e.PORT}`,
  }));

/** A wildcard bind address is reached through loopback; an IPv6 literal needs brackets in a URL. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
