import { RerankError } from '../errors/rerankError.js';

/**
 * The reranker port and its vLLM adapter: POST {RERANK_URL}/rerank with
 * `{model, query, documents}` (the Jina/Cohere-style API vLLM serves for
 * cross-encoder models), answered with `results: [{index, relevance_score}]`.
 * RERANK_URL is the OpenAI base URL, `/v1` included.
 */

export interface RerankResult {
  /** position in the documents sent */
  index: number;
  score: number;
}

export interface Reranker {
  readonly model: string;
  /** Scores for the documents, best first. */
  rerank(query: string, documents: string[], signal?: AbortSignal): Promise<RerankResult[]>;
}


export function createVllmReranker(cfg: { url: string; model?: string; apiKey?: string }, deps: { fetch?: typeof fetch } = {}): Reranker {
  const doFetch = deps.fetch ?? fetch;
  const url = `${cfg.url.replace(/\/+$/, '')}/rerank`;
  return {
    model: cfg.model ?? '(server default)',
    async rerank(query, documents, signal) {
      if (documents.length === 0) return [];
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}) },
          // without `model` vLLM uses the one model it serves
          body: JSON.stringify({ ...(cfg.model ? { model: cfg.model } : {}), query, documents }),
          signal,
        });
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        throw new RerankError(`cannot reach the reranker at ${url}: ${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message}`);
      }
      const text = await res.text();
      if (!res.ok) throw new RerankError(`the reranker answered HTTP ${res.status}: ${text.slice(0, 300)}`, res.status);
      let body: { results?: { index?: unknown; relevance_score?: unknown }[] };
      try {
        body = JSON.parse(text);
      } catch {
        throw new RerankError(`the reranker answered something that is not JSON: ${text.slice(0, 200)}`);
      }
      if (!Array.isArray(body.results)) throw new RerankError('the reranker answer has no `results` array');
      const out: RerankResult[] = [];
      const seen = new Set<number>();
      for (const r of body.results) {
        const index = Number(r.index);
        const score = Number(r.relevance_score);
        if (!Number.isInteger(index) || index < 0 || index >= documents.length || !Number.isFinite(score) || seen.has(index)) {
          throw new RerankError(`the reranker answered a bad result ${JSON.stringify(r)} for ${documents.length} documents`);
        }
        seen.add(index);
        out.push({ index, score });
      }
      return out.sort((a, b) => b.score - a.score || a.index - b.index);
    },
  };
}
