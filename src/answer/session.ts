import type { Redis } from 'ioredis';
import type { SearchFilters } from '../contracts/search.js';
import { sessionKey } from './keys.js';

/**
 * Session scope (seed 001 §A): what a client set once (a default repo and
 * filters) and reuses by sending the same X-Session-ID. It lives in Redis
 * with a TTL so every API and worker process sees it, whichever one a
 * request lands on. A small in-process LRU sits in front with a short
 * freshness window (default 1 s): a scope changed through another process is
 * seen here at most that much later; changes made through this process are
 * seen at once.
 */

export interface SessionScope {
  repo?: string;
  filters?: SearchFilters;
}

/**
 * The scope a request runs with: fields it names win, the rest come from the
 * session; naming another repo drops the remembered filters (they belonged
 * to the old repo).
 */
export function mergeScope(saved: SessionScope | null, given: SessionScope): SessionScope {
  const repo = given.repo ?? saved?.repo;
  const filters = given.filters ?? (repo === saved?.repo ? saved?.filters : undefined);
  return { ...(repo ? { repo } : {}), ...(filters ? { filters } : {}) };
}

export const sameScope = (a: SessionScope | null, b: SessionScope) => JSON.stringify(a ?? {}) === JSON.stringify(b);

export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export interface SessionStore {
  get(sessionId: string): Promise<SessionScope | null>;
  set(sessionId: string, scope: SessionScope): Promise<void>;
  delete(sessionId: string): Promise<void>;
  /** Push the session's expiry out again (sliding TTL) without rewriting it. */
  touch(sessionId: string): Promise<void>;
}

export function createSessionStore(opts: { redis: Redis; prefix: string; ttlS: number; l1Size?: number; l1FreshMs?: number; now?: () => number }): SessionStore {
  const l1Size = opts.l1Size ?? 1000;
  const l1FreshMs = opts.l1FreshMs ?? 1_000;
  const now = opts.now ?? Date.now;
  const l1 = new Map<string, { scope: SessionScope | null; at: number }>();

  const remember = (id: string, scope: SessionScope | null) => {
    l1.delete(id);
    l1.set(id, { scope, at: now() });
    if (l1.size > l1Size) l1.delete(l1.keys().next().value!);
  };

  const store: SessionStore = {
    async get(id) {
      const hit = l1.get(id);
      if (hit && now() - hit.at < l1FreshMs) {
        // LRU: most recently used last
        l1.delete(id);
        l1.set(id, hit);
        return hit.scope;
      }
      const raw = await opts.redis.get(sessionKey(opts.prefix, id));
      const scope = raw ? (JSON.parse(raw) as SessionScope) : null;
      remember(id, scope);
      return scope;
    },
    async set(id, scope) {
      await opts.redis.set(sessionKey(opts.prefix, id), JSON.stringify(scope), 'EX', opts.ttlS);
      remember(id, scope);
    },
    async delete(id) {
      await opts.redis.del(sessionKey(opts.prefix, id));
      remember(id, null);
    },
    async touch(id) {
      await opts.redis.expire(sessionKey(opts.prefix, id), opts.ttlS);
    },
  };
  return store;
}
