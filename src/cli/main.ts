import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { ROLES, type Role } from '../contracts/queues.js';
import { ApiError, createApiClient, type ApiClient } from './apiClient.js';
import type { IndexJobView } from '../api/routes/indexJobs.js';
import { sinksCommand } from './sinksCommands.js';
import { problemText } from './problemText.js';
import { pinGpu } from '../gpu/pin.js';
import { tokenize } from '../text/codeTokenizer.js';

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
    process.stderr.write(`error ${err.status}: ${problemText(err.problem, err.message)}\n`);
    process.exit(err.status >= 500 ? 1 : 2);
  }
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exit(1);
}

/** "3m 20s", "45s"; '…' while there is no rate to go by yet. */
function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '…';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The progress line of `index --wait`: planning shows no count (the file
 * total is not known yet, so no "0/1 files"), and the time left comes from
 * this phase's own rate, shown only once something is done (no "NFs left").
 */
export function progressLine(p: IndexJobView['progress'], phaseStartedAt: number, phaseStartValue: number, now = Date.now()) {
  const chunkPhase = p.phase === 'encode' || p.phase === 'finalize' || p.phase === 'done';
  const total = chunkPhase ? p.chunks.total : p.files.total;
  const value = chunkPhase ? p.chunks.written : p.files.done;
  const unit = chunkPhase ? 'chunks' : 'files';
  if (p.phase === 'plan' || total === 0) return { value: 0, total: 1, counts: p.phase === 'plan' ? 'listing and hashing files' : `0 ${unit}`, eta: '' };
  const doneHere = value - phaseStartValue;
  const rate = doneHere / Math.max(0.001, (now - phaseStartedAt) / 1000);
  const eta = value >= total ? 'done' : doneHere > 0 ? `${formatEta((total - value) / rate)} left` : '';
  return { value, total, counts: `${value}/${total} ${unit}`, eta };
}

async function waitForJob(api: ApiClient, jobId: string, showBar: boolean): Promise<IndexJobView> {
  const bar = showBar
    ? new cliProgress.SingleBar({ format: ' {phase} |{bar}| {counts} {eta}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic)
    : null;
  let started = false;
  let phase = '';
  let phaseStartedAt = Date.now();
  let phaseStartValue = 0;
  try {
    for (;;) {
      const view = await api.get<IndexJobView>(`/v1/index-jobs/${encodeURIComponent(jobId)}`);
      const p = view.progress;
      if (p.phase !== phase) {
        phase = p.phase;
        phaseStartedAt = Date.now();
        phaseStartValue = progressLine(p, phaseStartedAt, 0).value;
      }
      const line = progressLine(p, phaseStartedAt, phaseStartValue);
      const payload = { phase: p.phase.padEnd(8), counts: line.counts, eta: line.eta ? `| ${line.eta}` : '' };
      if (bar) {
        if (!started) {
          bar.start(line.total, line.value, payload);
          started = true;
        } else {
          bar.setTotal(line.total);
          bar.update(line.value, payload);
        }
      }
      if (view.state === 'completed' || view.state === 'failed') {
        if (bar && view.state === 'completed') bar.update(line.total, { ...payload, phase: 'done    ', eta: '' });
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
        let submitted: { jobId: string; repo: string };
        try {
          submitted = await api.post<{ jobId: string; repo: string }>('/v1/index-jobs', {
            repo: location,
            ...(opts.name ? { name: opts.name } : {}),
            ...(opts.ref ? { ref: opts.ref } : {}),
            ...(opts.full ? { full: true } : {}),
          });
          process.stderr.write(`index run ${submitted.jobId} queued for repo "${submitted.repo}"\n`);
        } catch (err) {
          // one run per repo: with --wait, follow the run in flight instead of failing
          if (!(opts.wait && err instanceof ApiError && err.status === 409 && typeof err.problem.jobId === 'string')) throw err;
          submitted = { jobId: err.problem.jobId, repo: String(err.problem.repo ?? opts.name ?? '') };
          process.stderr.write(`repo "${submitted.repo}" already has an index run (${submitted.jobId}); following it\n`);
        }
        const { jobId, repo: name } = submitted;
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
          hits: { path: string; startLine: number; endLine: number; score: number; channels: Record<string, number>; preview: string; previewStartLine?: number }[];
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
          // the preview is the chunk's best-matching window; show its first line that holds a query term
          const lines = h.preview.split('\n');
          const terms = new Set(tokenize(query));
          let at = lines.findIndex((l) => tokenize(l).some((t) => terms.has(t)));
          if (at < 0) at = Math.max(0, lines.findIndex((l) => l.trim()));
          process.stdout.write(`      ${String((h.previewStartLine ?? h.startLine) + at).padStart(4)}  ${(lines[at] ?? '').trim().slice(0, 100)}\n`);
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

  program
    .command('repos')
    .description('list the indexed repos')
    .option('--json', 'print the raw JSON answer')
    .action(async (opts: { json?: boolean }) => {
      try {
        const repos = await client(config()).get<{ name: string; manifestVersion: number; files: number; chunks: number; embedding: { model: string }; updatedAt: string }[]>('/v1/repos');
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(repos, null, 2)}\n`);
          return;
        }
        if (!repos.length) process.stdout.write('no repo is indexed yet; index one with: codeintel index <path|git-url> --wait\n');
        for (const r of repos) {
          process.stdout.write(`${r.name}  v${r.manifestVersion}  ${r.files} files  ${r.chunks} chunks  ${r.embedding.model}  updated ${r.updatedAt}\n`);
        }
      } catch (err) {
        printProblem(err);
      }
    });

  program
    .command('mcp')
    .description('run the MCP server on stdio for coding agents; it uses the API at CODEINTEL_URL with CODEINTEL_TOKEN')
    .action(async () => {
      const { runMcpStdio } = await import('./mcpCommand.js');
      await runMcpStdio(client(config()));
      process.exit(0);
    });

  program.addCommand(sinksCommand(config));

  return program;
}
