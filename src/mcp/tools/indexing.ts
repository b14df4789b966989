import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { CodeintelService, IndexJobStatus } from '../service.js';
import { fail, ok, progress, repoArg } from '../toolResult.js';

/** index_repository (submit, optionally follow with progress) and index_status. */

const jobStatusSchema = {
  jobId: z.string(),
  repo: z.string(),
  state: z.enum(['waiting', 'active', 'completed', 'failed']),
  progress: z.object({
    phase: z.string(),
    files: z.object({ total: z.number(), done: z.number() }),
    chunks: z.object({ total: z.number(), embedded: z.number(), expanded: z.number(), written: z.number() }),
  }),
  result: z.record(z.unknown()).optional(),
  error: z.string().optional(),
};

function jobView(v: IndexJobStatus) {
  return {
    jobId: v.jobId,
    repo: v.repo,
    state: v.state,
    progress: v.progress,
    ...(v.result ? { result: v.result as unknown as Record<string, unknown> } : {}),
    ...(v.error ? { error: v.error.detail ?? 'the run failed' } : {}),
  };
}

function describeJob(v: IndexJobStatus): string {
  if (v.state === 'completed' && v.result) {
    const r = v.result;
    return `index run ${v.jobId} of "${v.repo}" completed: v${r.manifestVersion}, ${r.files} files, ${r.chunks} chunks (+${r.added} ~${r.changed} -${r.deleted}) in ${(r.durationMs / 1000).toFixed(1)} s`;
  }
  if (v.state === 'failed') return `index run ${v.jobId} of "${v.repo}" failed: ${v.error?.detail ?? 'unknown reason'}`;
  return `index run ${v.jobId} of "${v.repo}" is ${v.state} (${phaseText(v)})`;
}

function phaseText(v: IndexJobStatus): string {
  const p = v.progress;
  if (p.phase === 'plan') return 'planning';
  if (p.phase === 'chunk') return `chunking: ${p.files.done}/${p.files.total} files`;
  return `${p.phase}: ${p.chunks.written}/${p.chunks.total} chunks written`;
}

export function registerIndexTools(server: McpServer, service: CodeintelService, opts: { maxWaitMs?: number; pollMs?: number }): void {
  server.registerTool(
    'index_repository',
    {
      title: 'Index a repository',
      description:
        'Index (or re-index, incrementally) a repository: an absolute local path the server can read, or a git URL. Returns the job id; with wait=true, sends progress notifications until the run ends, then its result.',
      inputSchema: {
        repo: z.string().min(1).max(4096).describe('absolute path on the server, or a git URL'),
        name: repoArg.optional().describe('repo name (default: the directory or URL name)'),
        ref: z.string().min(1).max(255).optional().describe('git ref to index instead of the working tree'),
        wait: z.boolean().default(false),
      },
      outputSchema: { ...jobStatusSchema, attached: z.boolean().describe('true when the repo already had a run in flight and this is that run') },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async ({ repo, name, ref, wait }, extra) => {
      try {
        const { jobId, attached } = await service.submitIndex({ repo, ...(name ? { name } : {}), ...(ref ? { ref } : {}) });
        let view = await service.indexStatus(jobId);
        const deadline = Date.now() + (opts.maxWaitMs ?? 30 * 60_000);
        let step = 0;
        while (wait && view.state !== 'completed' && view.state !== 'failed' && Date.now() < deadline && !extra.signal.aborted) {
          // progress must increase from one notification to the next, whatever the phase does: count polls
          await progress(extra, ++step, phaseText(view));
          await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
          view = await service.indexStatus(jobId);
        }
        const lead = attached ? `"${view.repo}" already has an index run in flight (${jobId}); this is that run.\n` : '';
        const text =
          view.state === 'completed' || view.state === 'failed' || !wait
            ? `${lead}${wait ? describeJob(view) : `index run ${jobId} queued for "${view.repo}"; index_status with jobId "${jobId}" tells how it goes`}`
            : `${lead}${describeJob(view)}; still running, index_status with jobId "${jobId}" follows it`;
        if (view.state === 'failed') return fail(new Error(`${lead}${describeJob(view)}`));
        return ok(text, { ...jobView(view), attached });
      } catch (err) {
        return fail(err);
      }
    },
  );

  server.registerTool(
    'index_status',
    {
      title: 'Index job status',
      description: "An index run's state (waiting, active, completed, failed), its progress and, once done, its result.",
      inputSchema: { jobId: z.string().min(1).max(200) },
      outputSchema: jobStatusSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ jobId }) => {
      try {
        const view = await service.indexStatus(jobId);
        return ok(describeJob(view), jobView(view));
      } catch (err) {
        return fail(err);
      }
    },
  );
}
