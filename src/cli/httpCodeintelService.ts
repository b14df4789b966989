import type { CodeintelService, IndexJobStatus, RepoSummary, SearchCodeResult } from '../mcp/service.js';
import type { FindSymbolResult, ReadLinesResult } from '../retrieval/sourceView.js';
import { ask } from './ask.js';
import { ApiError, type ApiClient } from './apiClient.js';

/**
 * The CodeintelService of `codeintel mcp`: every operation is a call to the
 * codeintel HTTP API (CODEINTEL_URL, CODEINTEL_TOKEN), the same routes the
 * CLI uses, so the stdio server searches exactly as /mcp and POST /v1/search do.
 */
export function createHttpCodeintelService(api: ApiClient): CodeintelService {
  const q = encodeURIComponent;
  return {
    async search(req) {
      return api.post<SearchCodeResult>('/v1/search', { repo: req.repo, query: req.query, k: req.k, ...(req.filters ? { filters: req.filters } : {}) });
    },

    async ask(req, onText, signal) {
      let text = '';
      let problems = '';
      const r = await ask(
        api,
        { repo: req.repo, question: req.question },
        {
          out: (s) => {
            text += s;
            onText(text);
          },
          err: (s) => {
            // ask() writes the source count and, when the answer fails, its problem here
            if (s.startsWith('error ')) problems += s.trim();
          },
          citations: () => {}, // the result carries them; the tool writes its own Sources block
        },
        signal,
      );
      return {
        state: r.state,
        answer: r.answer,
        citations: r.citations.map(({ n, path, startLine, endLine }) => ({ n, path, startLine, endLine })),
        ...(problems ? { error: problems } : {}),
      };
    },

    async submitIndex(req) {
      try {
        return { ...(await api.post<{ jobId: string; repo: string }>('/v1/index-jobs', req)), attached: false };
      } catch (err) {
        // one run per repo: a 409 names the run in flight, which is the one to follow
        if (err instanceof ApiError && err.status === 409 && typeof err.problem.jobId === 'string') {
          return { jobId: err.problem.jobId, repo: String(err.problem.repo ?? req.name ?? ''), attached: true };
        }
        throw err;
      }
    },

    indexStatus: (jobId) => api.get<IndexJobStatus>(`/v1/index-jobs/${q(jobId)}`),
    listRepos: () => api.get<RepoSummary[]>('/v1/repos'),
    readLines: (req) => api.get<ReadLinesResult>(`/v1/repos/${q(req.repo)}/lines?path=${q(req.path)}&start=${req.startLine}&end=${req.endLine}`),
    findSymbol: (req) => api.get<FindSymbolResult>(`/v1/repos/${q(req.repo)}/symbols?name=${q(req.name)}`),
  };
}
