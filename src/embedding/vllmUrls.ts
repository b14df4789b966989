/**
 * Where the vLLM endpoints live. VLLM_URL is the OpenAI base (it includes
 * `/v1`), but vLLM serves its operational routes (/health, /ping, /version,
 * /metrics) at the server root, not under /v1.
 */

const ROOT_ROUTES = new Set(['health', 'ping', 'version', 'metrics']);

const trimSlashes = (s: string) => s.replace(/\/+$/, '');

export function embeddingsUrl(baseUrl: string): string {
  return `${trimSlashes(baseUrl)}/embeddings`;
}

/**
 * Resolve VLLM_HEALTH_PATH:
 * 1. an absolute http(s) URL is used as is;
 * 2. a path whose first segment is a root route (health, ping, version,
 *    metrics) resolves against the origin: `/health` → http://h:8000/health;
 * 3. a path that already starts with the base path resolves against the
 *    origin: `/v1/models` → http://h:8000/v1/models;
 * 4. anything else resolves against the base URL: `/models` → http://h:8000/v1/models.
 */
export function resolveHealthUrl(baseUrl: string, healthPath: string): string {
  if (/^https?:\/\//i.test(healthPath)) return healthPath;
  const base = new URL(trimSlashes(baseUrl));
  const path = healthPath.startsWith('/') ? healthPath : `/${healthPath}`;
  const firstSegment = path.split(/[/?#]/)[1] ?? '';
  const basePath = trimSlashes(base.pathname);
  if (ROOT_ROUTES.has(firstSegment) || basePath === '' || path === basePath || path.startsWith(`${basePath}/`)) {
    return `${base.origin}${path}`;
  }
  return `${base.origin}${basePath}${path}`;
}
