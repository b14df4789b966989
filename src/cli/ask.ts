import type { Citation, DoneEventData, RetrievalEventData } from '../answer/events.js';
import { readSse } from '../answer/sse.js';
import { abortableSleep, backoffDelay } from '../resilience/index.js';
import { ApiError, type ApiClient } from './apiClient.js';
import { problemText } from './problemText.js';

/**
 * `codeintel ask`: submit the question, then read the answer's SSE stream and
 * print tokens as they arrive, then the citations. A dropped connection is
 * resumed with Last-Event-ID (no token printed twice, none missed); Ctrl-C
 * cancels the answer on the server.
 */

export interface AskOptions {
  repo: string;
  question: string;
  k?: number;
  session?: string;
}

export interface AskIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** given: the citations go here instead of a "Sources:" block on `out` (the MCP ask tool lays them out itself) */
  citations?: (c: Citation[]) => void;
}

export interface AskResult {
  state: 'completed' | 'failed' | 'cancelled';
  answer: string;
  citations: Citation[];
}

export async function ask(api: ApiClient, opts: AskOptions, io: AskIo, signal?: AbortSignal): Promise<AskResult> {
  const { answerId, eventsUrl } = await api.post<{ answerId: string; eventsUrl: string }>('/v1/answers', {
    repo: opts.repo,
    question: opts.question,
    ...(opts.k ? { k: opts.k } : {}),
    ...(opts.session ? { session: opts.session } : {}),
  });
  const onAbort = () => void api.del(`/v1/answers/${answerId}`).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  let last = 0;
  let answer = '';
  let failures = 0;
  try {
    for (;;) {
      let res: Response;
      try {
        res = await api.fetch(eventsUrl, { headers: { accept: 'text/event-stream', ...(last ? { 'last-event-id': String(last) } : {}) }, signal });
      } catch (err) {
        if (signal?.aborted) return { state: 'cancelled', answer, citations: [] };
        if (++failures > 5) throw err;
        try {
          await abortableSleep(backoffDelay(failures, { baseMs: 200 }), signal);
        } catch {
          return { state: 'cancelled', answer, citations: [] }; // Ctrl-C during the pause
        }
        continue;
      }
      if (res.status === 204) break; // nothing after `last`: the answer ended
      if (!res.ok || !res.body) {
        const text = await res.text();
        throw new ApiError(res.status, text ? JSON.parse(text) : {});
      }
      const before = last;
      try {
        for await (const msg of readSse(res.body, signal)) {
          if (msg.id) last = Number(msg.id);
          const data = JSON.parse(msg.data);
          if (msg.event === 'retrieval') {
            const r = data as RetrievalEventData;
            io.err(`(${r.chunks.length} sources from ${opts.repo} v${r.manifestVersion}${r.dropped.length ? `; dropped ${r.dropped.map((d) => d.channel).join(', ')}` : ''})\n`);
          } else if (msg.event === 'token') {
            answer += data.text;
            io.out(data.text);
          } else if (msg.event === 'done') {
            const d = data as DoneEventData;
            if (io.citations) io.citations(d.citations);
            else io.out(`\n\n${formatCitations(d.citations)}`);
            return { state: 'completed', answer: d.answer, citations: d.citations };
          } else if (msg.event === 'error') {
            io.out('\n');
            io.err(`error ${data.status}: ${problemText(data, 'the answer failed')}\n`);
            return { state: data.type?.endsWith('/answer-cancelled') ? 'cancelled' : 'failed', answer, citations: [] };
          }
        }
      } catch (err) {
        if (signal?.aborted) return { state: 'cancelled', answer, citations: [] };
        if (++failures > 5) throw err;
      }
      // the stream broke before the answer ended: resume after the last event we printed
      if (last === before && ++failures > 5) throw new Error(`the answer stream of ${answerId} keeps closing without events`);
    }
    const r = await api.get<{ state: AskResult['state']; answer?: string; citations?: Citation[] }>(`/v1/answers/${answerId}`);
    return { state: r.state, answer: r.answer ?? answer, citations: r.citations ?? [] };
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

export function formatCitations(citations: Citation[]): string {
  if (citations.length === 0) return 'Sources: none cited\n';
  return `Sources:\n${citations.map((c) => `  [${c.n}] ${c.path}:${c.startLine}-${c.endLine}\n`).join('')}`;
}
