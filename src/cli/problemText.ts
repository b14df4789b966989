import { withoutRouteHints } from '../mcp/errors.js';
import type { ApiError } from './apiClient.js';

/**
 * An API problem as a CLI user should read it: in terms of codeintel
 * commands, not of the HTTP routes the API's messages name for API clients.
 */

type Problem = ApiError['problem'];

const slug = (p: Problem) => (typeof p.type === 'string' ? p.type.slice(p.type.lastIndexOf('/') + 1) : '');

const BY_CODE: Record<string, (p: Problem, message: string) => string> = {
  'repo-not-indexed': (p) =>
    `repo "${String(p.repo)}" is not indexed; "codeintel repos" lists the indexed ones, "codeintel index <path|git-url> --name ${String(p.repo)} --wait" indexes it`,
  'job-not-found': (_p, m) => `${m}; "codeintel index" prints the job id of each run it starts`,
  'run-in-progress': (p, m) => `${m}: job ${String(p.jobId)}; follow it with "codeintel status ${String(p.jobId)}", or run the index command again with --wait`,
  unauthorized: (_p, m) => `${m}; set CODEINTEL_TOKEN to one of the server's API_TOKENS`,
  'answer-cancelled': () => 'the answer was cancelled (Ctrl-C, or the server shut down)',
};

export function problemText(p: Problem, fallback: string): string {
  const message = withoutRouteHints(p.detail ?? p.title ?? fallback);
  const render = BY_CODE[slug(p)];
  return render ? render(p, message) : message;
}
