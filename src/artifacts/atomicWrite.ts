import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Write a file so readers see either the old content or the whole new one:
 * temp, fsync, rename. `durable: false` skips the fsync for scratch data that
 * a crash of the machine may lose (staged artifacts are recomputed then); a
 * crash of the process alone never shows a torn file either way.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    if (opts.durable !== false) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  // the rename lives in the directory: without this a power loss may forget it
  if (opts.durable !== false) await fsyncDirectory(path.dirname(file));
}

/**
 * Create `file` with `data` only if no file of that name exists (EEXIST otherwise), durably:
 * temp + fsync, then link() — which, unlike rename, never replaces — then fsync the directory.
 */
export async function createFileExclusive(file: string, data: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await fs.open(tmp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    // no hard links on this filesystem: an exclusive create is still exclusive, only not atomic in content
    await fs.writeFile(file, data, { flag: 'wx' });
  } finally {
    await fs.rm(tmp, { force: true });
  }
  await fsyncDirectory(path.dirname(file));
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
