import { listRepoManifests } from '../manifest/listing.js';
import type { AnswerEvent, Citation as AnswerCitation, DoneEventData } from '../answer/events.js';
import type { AnswerFailure } from '../answer/failure.js';
import type { AnswerRelay } from '../answer/relay.js';
import type { AnswerStore } from '../answer/store.js';
import { submitAnswer, type SubmitAnswerDeps } from '../answer/submit.js';
import { findIndexJobView } from '../api/routes/indexJobs.js';
import { ConflictError } from '../errors/conflictError.js';
import { submitIndexJob, type SubmitDeps } from '../indexing/submit.js';
import type { ManifestStore } from '../manifest/store.js';
import type { RunProgress } from '../queue/runProgress.js';
import type { SearchService } from '../retrieval/searchService.js';
import type { SourceView } from '../retrieval/sourceView.js';
import type { AskResult, CodeintelService, RepoSummary } from './service.js';

/**
 * The CodeintelService of the API process, for /mcp: each operation calls the
 * service its HTTP route calls (SearchService for POST /v1/search,
 * submitIndexJob for POST /v1/index-jobs, submitAnswer and the answer relay
 * for /v1/answers, the SourceView for the snapshot routes), so MCP is another
 * door to the same rooms, not a second search path.
 */

export interface InProcessDeps {
  search: SearchService;
  source: SourceView;
  manifests: ManifestStore;
  index: SubmitDeps & { progress: RunProgress };
  answers: SubmitAnswerDeps & { store: AnswerStore; relay: AnswerRelay };
  /** sources given to the answer model (POST /v1/answers' default) */
  answerK?: number;
}

export function createInProcessService(deps: InProcessDeps): CodeintelService {
  return {
    async search(req) {
      const r = await deps.search.search({ repo: req.repo, query: req.query, k: req.k, filters: req.filters });
      return {
        hits: r.hits.map((h) => ({
          path: h.path,
          startLine: h.startLine,
          endLine: h.endLine,
          language: h.language,
          symbol: h.symbol,
          symbols: h.symbols,
          role: h.role,
          score: h.score,
          preview: h.preview,
          previewStartLine: h.previewStartLine,
        })),
        manifestVersion: r.manifestVersion,
        ...(r.dropped.length ? { dropped: r.dropped } : {}),
      };
    },

    async ask(req, onText, signal) {
      const { answerId } = await submitAnswer(deps.answers, { repo: req.repo, question: req.question, k: deps.answerK ?? 8 });
      const abort = new AbortController();
      const onAbort = () => {
        abort.abort();
        void deps.answers.store.requestCancel(answerId).catch(() => {});
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let text = '';
      let result: AskResult | null = null;
      try {
        await deps.answers.relay.stream(answerId, {
          lastEventId: 0,
          signal: abort.signal,
          write: (ev: AnswerEvent) => {
            if (ev.event === 'token') {
              text += (ev.data as { text: string }).text;
              onText(text);
            } else if (ev.event === 'done') {
              const d = ev.data as DoneEventData;
              result = { state: 'completed', answer: d.answer, citations: d.citations.map(citation) };
            } else if (ev.event === 'error') {
              const f = ev.data as AnswerFailure;
              result = { state: f.kind === 'cancelled' ? 'cancelled' : 'failed', answer: text, citations: [], error: f.detail };
            }
          },
        });
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (result) return result;
      // the stream ended without a terminal event we saw (expired, or cancelled): the record has the outcome
      const record = await deps.answers.store.get(answerId);
      if (signal?.aborted) return { state: 'cancelled', answer: text, citations: [] };
      return {
        state: record?.state === 'completed' ? 'completed' : record?.state === 'cancelled' ? 'cancelled' : 'failed',
        answer: record?.answer ?? text,
        citations: (record?.citations ?? []).map(citation),
        ...(record?.error ? { error: record.error.detail } : {}),
      };
    },

    async submitIndex(req) {
      try {
        return { ...(await submitIndexJob(deps.index, req)), attached: false };
      } catch (err) {
        if (err instanceof ConflictError && err.code === 'run-in-progress' && typeof err.details.jobId === 'string') {
          return { jobId: err.details.jobId, repo: String(err.details.repo), attached: true };
        }
        throw err;
      }
    },

    indexStatus: (jobId) => findIndexJobView(deps.index, jobId),

    async listRepos() {
      const out: RepoSummary[] = [];
      // a damaged repo is left out here (GET /v1/repos shows it as broken), never failing the whole listing
      for (const entry of await listRepoManifests(deps.manifests)) {
        if (!('manifest' in entry)) continue;
        const m = entry.manifest;
        out.push({
          name: entry.name,
          manifestVersion: m.version,
          files: m.stats.files,
          chunks: m.stats.chunks,
          embedding: { model: m.embedding.model, dim: m.embedding.dim },
          updatedAt: m.createdAt,
        });
      }
      return out;
    },

    readLines: (req) => deps.source.readLines(req),
    findSymbol: (req) => deps.source.findSymbol(req),
  };
}

const citation = (c: AnswerCitation) => ({ n: c.n, path: c.path, startLine: c.startLine, endLine: c.endLine });
