/**
 * A failure as the text of an isError tool result: what went wrong and what
 * to do, in the terms of the tools (an agent cannot run `codeintel index` or
 * call a route). The message of domain errors and of API problem documents
 * already says what happened; a known code gets the tool to use next.
 */

const NEXT_STEP: Record<string, string> = {
  'repo-not-indexed': 'list_repositories gives the indexed names; index_repository indexes a new one',
  'job-not-found': 'index_repository returns the job ids',
  'file-not-indexed': 'search_code and find_symbol give the indexed paths',
  'run-in-progress': 'index_status follows the running job',
  'repo-name-taken': 'pass another name',
  unauthorized: "give codeintel mcp CODEINTEL_TOKEN, or an HTTP client the header Authorization: Bearer <token>, with one of the server's API_TOKENS",
};

/** Drop what only an HTTP client can act on: "(codeintel index, or POST /v1/index-jobs)", "; GET /v1/answers/x has it". */
export function withoutRouteHints(message: string): string {
  return message
    .replace(/\s*\((?:[^()]*?,\s*)?(?:or\s+)?(?:GET|POST|DELETE|PUT)\s+\/v1\/[^()]*\)/g, '')
    .replace(/;\s*(?:GET|POST|DELETE|PUT)\s+\/v1\/\S+[^;]*/g, '');
}

/** The problem code of an error: a domain error's `code`, or the slug of an API problem's `type`. */
function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; problem?: { type?: unknown } };
  if (typeof e?.code === 'string') return e.code;
  const type = e?.problem?.type;
  return typeof type === 'string' ? type.slice(type.lastIndexOf('/') + 1) : undefined;
}

export function toolErrorMessage(err: unknown): string {
  // the domain messages name the CLI and the HTTP routes; here the tools are what the reader has
  const message = withoutRouteHints(err instanceof Error ? err.message : String(err)).replace(/;\s*index it first$/, '');
  const code = codeOf(err);
  const next = code ? NEXT_STEP[code] : undefined;
  return next ? `${message}; ${next}` : message;
}
