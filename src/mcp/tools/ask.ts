import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CodeintelService } from '../service.js';
import { fail, ok, progress, repoArg } from '../toolResult.js';

/** ask: an answer with citations; progress notifications carry the text so far. */

export function registerAsk(server: McpServer, service: CodeintelService, opts: { askFirstTextMs?: number }): void {
  server.registerTool(
    'ask',
    {
      title: 'Ask about a repo',
      description:
        'Answer a question about an indexed repo from its code, with numbered citations (path:startLine-endLine). While the answer is written, progress notifications carry the text so far.',
      inputSchema: { repo: repoArg, question: z.string().trim().min(1, 'must not be empty').max(4000) },
      outputSchema: {
        answer: z.string(),
        citations: z.array(z.object({ n: z.number(), path: z.string(), startLine: z.number(), endLine: z.number() })),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ repo, question }, extra) => {
      const firstTextMs = opts.askFirstTextMs ?? 45_000;
      const stop = new AbortController();
      const onCancel = () => stop.abort();
      extra.signal.addEventListener('abort', onCancel, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stop.abort();
      }, firstTextMs);
      try {
        let sent = 0;
        let pending: Promise<void> = Promise.resolve();
        const r = await service.ask(
          { repo, question },
          (textSoFar) => {
            clearTimeout(timer); // the answer is being written: it may take as long as it needs
            // progress must increase: the length of the text so far does; one notification at a time, in order
            if (textSoFar.length <= sent) return;
            sent = textSoFar.length;
            pending = pending.then(() => progress(extra, textSoFar.length, textSoFar));
          },
          stop.signal,
        );
        await pending;
        if (timedOut) {
          return fail(
            new Error(`no answer text within ${Math.round(firstTextMs / 1000)} s, so the question was cancelled; is an answer worker running (codeintel serve, or codeintel worker --role answer; /readyz lists the consumers of each queue)?`),
          );
        }
        if (r.state !== 'completed') {
          return fail(new Error(r.state === 'cancelled' ? 'the answer was cancelled before it ended' : `the answer failed: ${r.error ?? 'unknown reason'}`));
        }
        const sources = r.citations.length ? `Sources:\n${r.citations.map((c) => `  [${c.n}] ${c.path}:${c.startLine}-${c.endLine}`).join('\n')}` : 'Sources: none cited';
        return ok(`${r.answer}\n\n${sources}`, { answer: r.answer, citations: r.citations });
      } catch (err) {
        return fail(err);
      } finally {
        clearTimeout(timer);
        extra.signal.removeEventListener('abort', onCancel);
      }
    },
  );
}
