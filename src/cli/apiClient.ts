/** A small client of the codeintel HTTP API for the CLI. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; [k: string]: unknown },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export function createApiClient(baseUrl: string, token?: string) {
  const headers = (extra: Record<string, string> = {}) => ({ ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl), {
        method,
        headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(`cannot reach the codeintel API at ${baseUrl} (${(err as Error).cause ?? (err as Error).message}); start it with "npm start" or "codeintel serve", or set CODEINTEL_URL`, { cause: err });
    }
    const text = await res.text();
    const json = text ? JSON.parse(text) : {};
    if (!res.ok) throw new ApiError(res.status, json);
    return json as T;
  }
  return {
    baseUrl,
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body: unknown) => request<T>('POST', path, body),
    del: <T>(path: string) => request<T>('DELETE', path),
    /** raw fetch with auth, for streams */
    fetch: (path: string, init: RequestInit = {}) =>
      fetch(new URL(path, baseUrl), { ...init, headers: { ...headers(), ...(init.headers as Record<string, string> | undefined) } }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
