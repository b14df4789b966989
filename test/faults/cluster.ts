import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/waitFor.js';
import { CLI } from '../support/serveProcess.js';

export { freePort } from '../support/ports.js';

const redisAnswers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });

/**
 * A redis-server of the suite's own, with AOF fsynced on every write (appendfsync always),
 * so a kill -9 of Redis loses no acknowledged write and a restart reloads the queues.
 */
export interface OwnRedis {
  url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    await waitFor(() => redisAnswers(port), `redis-server on port ${port}`, 10_000);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, kill, start, stop: kill };
}

/** One codeintel process: the API alone (`serve --roles none`) or one worker role. */
export interface RoleProcess {
  name: string;
  pid: number;
  url?: string;
  stderr(): string;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRole(
  role: 'api' | 'index' | 'gpu' | 'sink' | 'answer',
  env: Record<string, string>,
  dir: string,
  opts: {
    /** RLIMIT_FSIZE for the process, in the shell's `ulimit -f` blocks: a disk that is full for it */
    fileSizeLimit?: number;
    /** a gpu worker pinned to this device (`--gpu N`), with a heartbeat file of its own */
    gpu?: number;
  } = {},
): Promise<RoleProcess> {
  const name = opts.gpu === undefined ? role : `${role}${opts.gpu}`;
  const heartbeat = path.join(dir, `${name}.heartbeat`);
  await fs.rm(heartbeat, { force: true });
  const args = role === 'api' ? ['serve', '--roles', 'none'] : ['worker', '--role', role, ...(opts.gpu === undefined ? [] : ['--gpu', String(opts.gpu)])];
  const [cmd, argv] =
    opts.fileSizeLimit === undefined
      ? [process.execPath, [CLI, ...args]]
      : ['sh', ['-c', `ulimit -f ${opts.fileSizeLimit} && exec "$0" "$@"`, process.execPath, CLI, ...args]];
  const proc = spawn(cmd, argv, { env: { ...process.env, ...env, HEARTBEAT_FILE: heartbeat }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err = (err + d).slice(-20_000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  let url: string | undefined;
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`${role} exited with ${proc.exitCode}:\n${err}`);
      if (role === 'api') return !!(url = /serving at (http:\/\/\S+)/.exec(out)?.[1]);
      return fs.access(heartbeat).then(() => true);
    },
    `the ${name} process`,
    30_000,
  ).catch((e) => {
    proc.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${err}`);
  });
  return {
    name,
    pid: proc.pid!,
    url,
    stderr: () => err,
    async kill() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process in MiB (Linux /proc), or NaN where there is no /proc. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}
