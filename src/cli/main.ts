import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { ROLES, type Role } from '../contracts/queues.js';
import { ApiError, createApiClient, type ApiClient } from './apiClient.js';
import type { IndexJobView } from '../api/routes/indexJobs.js';
import { sinksCommand } from './sinksCommands.js';
import { pinGpu } from '../gpu/pin.js';

/** The config, or exit 78 (EX_CONFIG) with the message that lists every bad setting. */
export function config(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

function client(cfg: Config): ApiClient {
  return createApiClient(cfg.apiUrl, process.env.CODEINTEL_TOKEN || cfg.adminTokens[0] || cfg.apiTokens[0]);
}

const positiveInt = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

function printProblem(err: unknown): never {
  if (err instanceof ApiError) {
    process.stderr.write(`error ${err.status}: ${err.message}\n`);
    if (err.problem.jobId) process.stderr.write(`  job: ${err.problem.jobId}\n`);
    process.exit(err.status >= 500 ? 1 : 2);
  }
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}

async function waitForJob(api: ApiClient, jobId: string, showBar: boolean): Promise<IndexJobView> {
  const bar = showBar
    ? new cliProgress.SingleBar(
        { format: ' {phase} |{bar}| {value}/{total} {unit} | {eta_formatted} left', hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  try {
    for (;;) {
      const view = await api.get<IndexJobView>(`/v1/index-jobs/${encodeURIComponent(jobId)}`);
      const p = view.progress;
      const chunkPhase = p.phase === 'encode' || p.phase === 'finalize' || p.phase === 'done';
      const total = chunkPhase ? Math.max(1, p.chunks.total) : Math.max(1, p.files.total);
      const value = chunkPhase ? p.chunks.written : p.files.done;
      const payload = { phase: p.phase.padEnd(8), unit: chunkPhase ? 'chunks' : 'files' };
      if (bar) {
        if (!started) {
          bar.start(total, value, payload);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(value, payload);
        }
      }
      if (view.state === 'completed' || view.state === 'failed') {
        if (bar && view.state === 'completed') bar.update(total, { phase: 'done    ', unit: payload.unit });
        return view;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    bar?.stop();
  }
}

/** Runs the API and/or worker roles in this process; the composition root (workers/main.ts) provides it. */
export type ServerLauncher = (roles: Role[], api: boolean) => Promise<void>;

export function buildCli(runServer: ServerLauncher): Command {
  const program = new Command('codeintel').description('index code repositories and search or ask questions about them').showHelpAfterError();

  program
    .command('serve')
    .description('run the API and every worker role in one process')
    .option('--roles <list>', `worker roles to run beside the API: comma-separated of ${ROLES.join(', ')}, or "none" for the API alone`, (v) => {
      if (v === 'none') return [] as Role[];
      const roles = v.split(',').map((r) => r.trim()).filter(Boolean);
      for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new InvalidArgumentError(`unknown role "${r}"; expected ${ROLES.join(', ')} or none`);
      return roles as Role[];
    })
    .action(async (opts: { roles?: Role[] }) => runServer(opts.roles ?? [...ROLES], true));

  program
    .command('worker')
    .description('run the workers of one role')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`, (v) => {
      if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
      return v as Role;
    })
    .option('--gpu <n>', 'pin this worker to GPU n (sets CUDA_VISIBLE_DEVICES and the CUDA provider device)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a GPU index ≥ 0');
      return n;
    })
    .action(async (opts: { role: Role; gpu?: number }) => {
      // before any CUDA library initialises: the launcher loads them
      if (opts.gpu !== undefined) pinGpu(opts.gpu, process.env);
      await runServer([opts.role], false);
    });

  program
    .command('index')
    .description('index a repository (a local path or a git URL)')
    .argument('<repo>', 'path or git URL')
    .option('--name <name>', 'repo name (default: the directory or URL name)')
    .option('--ref <ref>', 'git ref to index instead of the working tree')
    .option('--full', 'rebuild from scratch instead of indexing changes only')
    .option('--wait', 'show progress until the run ends')
    .action(async (repo: string, opts: { name?: string; ref?: string; full?: boolean; wait?: boolean }) => {
      const cfg = config();
      const api = client(cfg);
      const location = /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/]+@[^/]+:/.test(repo) ? repo : path.resolve(repo);
      try {
        const { jobId, repo: name } = await api.post<{ jobId: string; repo: string }>('/v1/index-jobs', {
          repo: location,
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.ref ? { ref: opts.ref } : {}),
          ...(opts.full ? { full: true } : {}),
        });
        process.stderr.write(`index run ${jobId} queued for repo "${name}"\n`);
        if (!opts.wait) {
          process.stdout.write(`${jobId}\n`);
          return;
        }
        const view = await waitForJob(api, jobId, process.stderr.isTTY || process.env.CODEINTEL_PROGRESS === '1');
        if (view.state === 'failed') {
          process.stderr.write(`index run failed: ${view.error?.detail}\n`);
          process.exit(1);
        }
        const r = view.result!;
        process.stdout.write(
          `indexed "${name}" v${r.manifestVersion}: ${r.files} files, ${r.chunks} chunks ` +
            `(+${r.added} added, ~${r.changed} changed, -${r.deleted} deleted) in ${(r.durationMs / 1000).toFixed(1)} s` +
            ` with ${r.embedding.model}${r.note ? ` — ${r.note}` : ''}\n`,
        );
      } catch (err) {
        printProblem(err);
      }
    });

  program
    .command('status')
    .description('show an index job')
    .argument('<jobId>')
    .action(async (jobId: string) => {
      try {
        const view = await client(config()).get<IndexJobView>(`/v1/index-jobs/${encodeURIComponent(jobId)}`);
        process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      } catch (err) {
        printProblem(err);
      }
    });

  program
    .command('search')
    .description('hybrid search in an indexed repo')
    .argument('<repo>')
    .argument('<query>')
    .option('--k <n>', 'number of hits', positiveInt, 10)
    .option('--json', 'print the raw JSON answer')
    .action(async (repo: string, query: string, opts: { k: number; json?: boolean }) => {
      try {
        const res = await client(config()).post<{
          hits: { path: string; startLine: number; endLine: number; score: number; channels: Record<string, number>; preview: string }[];
          timingsMs: Record<string, number>;
        }>('/v1/search', { repo, query, k: opts.k });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
          return;
        }
        if (!res.hits.length) process.stdout.write('no hits\n');
        res.hits.forEach((h, i) => {
          const via = Object.entries(h.channels).map(([c, r]) => `${c}#${r}`).join(' ');
          process.stdout.write(`${String(i + 1).padStart(2)}. ${h.path}:${h.startLine}-${h.endLine}  (${h.score.toFixed(4)}; ${via})\n`);
          const first = h.preview.split('\n').find((l) => l.trim()) ?? '';
          process.stdout.write(`      ${first.trim().slice(0, 100)}\n`);
        });
        process.stdout.write(`(${res.timingsMs.total} ms)\n`);
      } catch (err) {
        printProblem(err);
      }
    });

  program
    .command('ask')
    .description('ask a question about an indexed repo; the answer streams as it is written, then its sources')
    .argument('<repo>')
    .argument('<question>')
    .option('--k <n>', 'sources to give the model', positiveInt, 8)
    .option('--session <id>', 'session id: the repo and filters are remembered for it')
    .action(async (repo: string, question: string, opts: { k: number; session?: string }) => {
      const { ask } = await import('./ask.js');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      try {
        const r = await ask(client(config()), { repo, question, k: opts.k, session: opts.session }, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }, abort.signal);
        if (r.state !== 'completed') process.exit(r.state === 'cancelled' ? 130 : 1);
      } catch (err) {
        printProblem(err);
      }
    });

  program.addCommand(sinksCommand(config));

  return program;
}
