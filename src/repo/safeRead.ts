import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** What a listing saw for a file: its identity, so a read can tell it still opens the same one. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export type SafeReadResult =
  | { kind: 'ok'; bytes: Buffer }
  /** not a regular file when opened (a FIFO, socket, device or directory swapped in) */
  | { kind: 'special' }
  /** the path now names another file than the listing checked (a swapped file or parent directory) */
  | { kind: 'swapped' }
  | { kind: 'too_large' };

// O_NOFOLLOW: a leaf replaced by a symlink fails (ELOOP) instead of being followed.
// O_NONBLOCK: opening a FIFO returns at once instead of parking a libuv thread until a writer comes.
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Read a file that a listing checked, without following a path swapped since: the leaf is
 * opened without following symlinks and without blocking, then the opened descriptor (not
 * the path) is checked — a regular file, and the same device and inode the check saw, which
 * also catches a parent directory replaced by a symlink to elsewhere. At most `maxBytes`
 * are read; a file that grew past them is reported, not read whole.
 * Node has no openat2(RESOLVE_BENEATH); the identity check is what makes the parents safe.
 */
export async function readCheckedFile(abs: string, expected: FileIdentity | undefined, maxBytes: number): Promise<SafeReadResult> {
  let handle;
  try {
    handle = await open(abs, FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return { kind: 'swapped' };
    if (code === 'ENXIO' || code === 'EOPNOTSUPP') return { kind: 'special' }; // a socket, a FIFO opened for writing elsewhere
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'special' };
    if (expected && (st.dev !== expected.dev || st.ino !== expected.ino)) return { kind: 'swapped' };
    if (st.size > maxBytes) return { kind: 'too_large' };
    // read to EOF, refusing to buffer more than maxBytes (the file may grow while read)
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(64 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) return { kind: 'too_large' };
      chunks.push(buf.subarray(0, bytesRead));
    }
    return { kind: 'ok', bytes: Buffer.concat(chunks, total) };
  } finally {
    await handle.close();
  }
}
