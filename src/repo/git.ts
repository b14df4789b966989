import { spawn } from 'node:child_process';
import { GitError } from '../errors/gitError.js';


export interface RunGitOptions {
  cwd?: string;
  timeoutMs?: number;
  /** Refuse to buffer more stdout than this (default 256 MiB). */
  maxStdoutBytes?: number;
  env?: NodeJS.ProcessEnv;
  /** Aborting kills the command (and its helpers). */
  signal?: AbortSignal;
}

const REDIRECTING_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
];

/**
 * Environment for every git we run: never prompt for credentials (a prompt would hang a
 * worker forever), never open a pager, English messages so stderr reads the same everywhere.
 */
export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // Variables that would point git at another repository or object store than the one we pinned.
  for (const name of REDIRECTING_VARIABLES) delete env[name];
  Object.assign(env, {
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/true',
    SSH_ASKPASS: '/bin/true',
    GIT_PAGER: 'cat',
    GIT_OPTIONAL_LOCKS: '0',
    LC_ALL: 'C',
  });
  if (!base.GIT_SSH_COMMAND && !base.GIT_SSH) env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  return env;
}

/** Trim git's stderr to the lines a person needs: drop progress chatter, keep the tail. */
export function summarizeStderr(stderr: string, maxChars = 600): string {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l && !/^Cloning into /.test(l) && !/^(remote: )?(Counting|Compressing|Receiving|Resolving|Enumerating) objects/.test(l));
  const text = lines.join('\n');
  return text.length > maxChars ? '…' + text.slice(-maxChars) : text;
}

/**
 * Run git without a shell. The child gets its own process group so a timeout also
 * kills the helpers it spawned (git-remote-https, ssh).
 */
export function runGit(args: string[], opts: RunGitOptions = {}): Promise<{ stdout: Buffer; stderr: string }> {
  const maxStdout = opts.maxStdoutBytes ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: opts.cwd,
      env: opts.env ?? gitEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    let overflow = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killGroup();
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > maxStdout) {
        overflow = true;
        killGroup();
        return;
      }
      out.push(b);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      // Keep only the tail: progress output of a big clone can be long.
      stderr = (stderr + s).slice(-64 * 1024);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new GitError(`could not run git: ${err.message}`, null, '', false));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const verb = subcommand(args);
      if (aborted) return reject(new GitError(`git ${verb} was aborted`, code, stderr, false));
      if (timedOut) return reject(new GitError(`git ${verb} timed out after ${opts.timeoutMs} ms`, code, stderr, true));
      if (overflow) return reject(new GitError(`git ${verb} produced more than ${maxStdout} bytes`, code, stderr, false));
      if (code !== 0) {
        const why = summarizeStderr(stderr) || (signal ? `killed by ${signal}` : `exit code ${code}`);
        return reject(new GitError(`git ${verb} failed: ${why}`, code, stderr, false));
      }
      resolve({ stdout: Buffer.concat(out), stderr });
    });
  });
}

/** The git subcommand in an argv, skipping global options such as `-C dir` and `-c key=value`. */
function subcommand(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-C' || args[i] === '-c') i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return '';
}
