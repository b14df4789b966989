import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin', 'codeintel.mjs');

export interface ServeProcess {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  /** SIGTERM and wait for exit */
  stop(): Promise<number | null>;
  /** SIGKILL: no cleanup at all, as a crash */
  kill(): Promise<void>;
}

/** Start `codeintel serve` as a child process and wait until it says where it listens. */
export async function startServeProcess(env: Record<string, string>, timeoutMs = 30_000, args: string[] = [], launcher: string[] = []): Promise<ServeProcess> {
  const proc = launch(launcher, [CLI, 'serve', ...args], env);
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`codeintel serve did not start in ${timeoutMs} ms:\n${err}`)), timeoutMs);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /serving at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`codeintel serve exited with ${code}:\n${err}`));
    });
  });
  return handle(proc, url, () => err);
}

/** node with these arguments, run through `launcher` when given (e.g. `ip netns exec <ns>`: another "host"). */
function launch(launcher: string[], args: string[], env: Record<string, string>) {
  const [cmd, ...pre] = launcher.length ? [...launcher, process.execPath] : [process.execPath];
  return spawn(cmd, [...pre, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Start `codeintel worker --role <role>` as a child process and wait until its workers have started. */
export async function startWorkerProcess(role: string, env: Record<string, string>, timeoutMs = 30_000, launcher: string[] = []): Promise<ServeProcess> {
  // the start is seen in the log: at least info
  const proc = launch(launcher, [CLI, 'worker', '--role', role], { ...env, LOG_LEVEL: 'info' });
  let out = '';
  let err = '';
  await new Promise<void>((resolve, reject) => {
    // pino writes to stderr
    proc.stderr!.on('data', (d) => {
      err += d;
      if (err.includes('"workers started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    const timer = setTimeout(() => reject(new Error(`codeintel worker --role ${role} did not start in ${timeoutMs} ms:\n${err}\n${out.slice(-2000)}`)), timeoutMs);
    proc.stdout!.on('data', (d) => (out += d));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`codeintel worker --role ${role} exited with ${code}:\n${err}\n${out.slice(-2000)}`));
    });
  });
  return handle(proc, '', () => err + out);
}

/** The started process: stop (SIGTERM, resolves with its exit code) or kill (SIGKILL). */
function handle(proc: ChildProcess, url: string, stderr: () => string): ServeProcess {
  const exited = new Promise<number | null>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve(proc.exitCode);
    else proc.on('exit', (code) => resolve(code));
  });
  return {
    proc,
    url,
    stderr,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Run the CLI to completion and collect its output. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`codeintel ${args.join(' ')} timed out:\n${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
