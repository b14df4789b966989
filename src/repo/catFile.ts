import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { GitError } from '../errors/gitError.js';
import type { PinnedGitRepo } from './gitDir.js';

export interface BlobReader {
  /** Contents of the blob with this object id. */
  read(oid: string): Promise<Buffer>;
  close(): void;
}

interface Pending {
  oid: string;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

/** One `git cat-file --batch` process and the requests it still owes answers to. */
interface BatchProcess {
  child: ChildProcessWithoutNullStreams;
  queue: Pending[];
  buf: Buffer;
  /** Body size of the object at the head of the queue, once its header has arrived. */
  want?: number;
  stderr: string;
}

/** Answer as many queued requests as the buffered output allows (answers come in request order). */
function drain(p: BatchProcess): void {
  for (;;) {
    const head = p.queue[0];
    if (!head) return;
    if (p.want === undefined) {
      const nl = p.buf.indexOf(10);
      if (nl < 0) return;
      const header = p.buf.subarray(0, nl).toString('utf8');
      p.buf = p.buf.subarray(nl + 1);
      const m = /^\S+ \S+ (\d+)$/.exec(header);
      if (!m) {
        p.queue.shift();
        head.reject(new GitError(`git object ${head.oid} not found (${header})`, null, '', false));
        continue;
      }
      p.want = Number(m[1]);
    }
    if (p.buf.length < p.want + 1) return; // body plus the trailing newline
    const body = Buffer.from(p.buf.subarray(0, p.want));
    p.buf = p.buf.subarray(p.want + 1);
    p.want = undefined;
    p.queue.shift();
    head.resolve(body);
  }
}

/**
 * Reads blobs through one long-lived `git cat-file --batch` instead of a process per file.
 * The process starts on first use and is closed after `idleMs` without outstanding
 * requests, so a forgotten reader never keeps the event loop alive for long.
 */
export function createBlobReader(repo: PinnedGitRepo, opts: { idleMs?: number } = {}): BlobReader {
  const idleMs = opts.idleMs ?? 250;
  let current: BatchProcess | undefined;
  let idle: NodeJS.Timeout | undefined;

  const stop = () => {
    clearTimeout(idle);
    current?.child.stdin.end(); // git answers what is queued, then exits
    current = undefined;
  };

  const start = (): BatchProcess => {
    const child = spawn('git', ['-c', 'core.fsmonitor=false', 'cat-file', '--batch'], { cwd: repo.cwd, env: repo.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const p: BatchProcess = { child, queue: [], buf: Buffer.alloc(0), stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      p.buf = p.buf.length ? Buffer.concat([p.buf, chunk]) : chunk;
      drain(p);
      if (p.queue.length === 0 && current === p) {
        clearTimeout(idle);
        idle = setTimeout(stop, idleMs).unref();
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (p.stderr = (p.stderr + s).slice(-4096)));
    child.stdin.on('error', () => undefined); // surfaces through 'close' below
    const gone = (why: string) => {
      if (current === p) current = undefined;
      const pending = p.queue.splice(0);
      for (const r of pending) r.reject(new GitError(`git cat-file ${why}: ${p.stderr.trim()}`, null, p.stderr, false));
    };
    child.on('error', (e) => gone(`could not start (${e.message})`));
    child.on('close', (code) => gone(`exited with code ${code}`));
    return p;
  };

  return {
    read(oid: string) {
      if (!/^[0-9a-f]{40,64}$/.test(oid)) return Promise.reject(new Error(`not an object id: ${oid}`));
      clearTimeout(idle);
      const p = (current ??= start());
      return new Promise<Buffer>((resolve, reject) => {
        p.queue.push({ oid, resolve, reject });
        p.child.stdin.write(oid + '\n');
      });
    },
    close: stop,
  };
}
