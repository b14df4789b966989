import type { IndexRunProgress, IndexRunResult } from '../contracts/results.js';
import type { FileRole } from '../contracts/chunk.js';
import type { FindSymbolResult, ReadLinesRequest, ReadLinesResult } from '../retrieval/sourceView.js';

/**
 * The port the MCP tools are written against: the operations an agent needs,
 * nothing about how they are reached. Two adapters implement it, so both
 * transports run the same tool code:
 *  - in-process (src/mcp/inProcessService.ts) for /mcp on the API server: it
 *    calls the very services the HTTP routes call;
 *  - HTTP client (src/cli/httpCodeintelService.ts) for `codeintel mcp` on
 *    stdio: it calls those routes over HTTP.
 * A method fails by throwing an Error whose message a person can act on; the
 * tools turn it into a result with isError.
 */

export interface SearchCodeRequest {
  repo: string;
  query: string;
  k: number;
  filters?: { paths?: string[]; languages?: string[]; roles?: FileRole[] };
}

export interface CodeHit {
  path: string;
  startLine: number;
  endLine: number;
  language: string;
  /** the definition holding the best-matching line (null for a chunk without one) */
  symbol: string | null;
  symbols: string[];
  /** the file's role, as the index classified it (source, test, docs, ...) */
  role: FileRole;
  score: number;
  /** the chunk's lines that best match the query */
  preview: string;
  previewStartLine: number;
}

export interface SearchCodeResult {
  hits: CodeHit[];
  manifestVersion: number;
  dropped?: { channel: string; reason: string }[];
}

export interface Citation {
  n: number;
  path: string;
  startLine: number;
  endLine: number;
}

export interface AskResult {
  state: 'completed' | 'failed' | 'cancelled';
  answer: string;
  citations: Citation[];
  /** why it did not complete */
  error?: string;
}

export interface IndexJobStatus {
  jobId: string;
  repo: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: IndexRunProgress;
  result?: IndexRunResult;
  error?: { detail?: string };
}

export interface RepoSummary {
  name: string;
  manifestVersion: number;
  files: number;
  chunks: number;
  embedding: { model: string; dim: number };
  updatedAt: string;
}

export interface CodeintelService {
  search(req: SearchCodeRequest): Promise<SearchCodeResult>;
  /** ask a question; `onText` gets the answer as it grows (the whole text so far) */
  ask(req: { repo: string; question: string }, onText: (textSoFar: string) => void, signal?: AbortSignal): Promise<AskResult>;
  /** submit an index run; `attached` is true when the repo already had a run in flight and that one is returned */
  submitIndex(req: { repo: string; name?: string; ref?: string }): Promise<{ jobId: string; repo: string; attached: boolean }>;
  indexStatus(jobId: string): Promise<IndexJobStatus>;
  listRepos(): Promise<RepoSummary[]>;
  readLines(req: ReadLinesRequest): Promise<ReadLinesResult>;
  findSymbol(req: { repo: string; name: string }): Promise<FindSymbolResult>;
}
