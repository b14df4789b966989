import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The identity of one artifact store: a random id written once, as `store-id`, in the
 * directory the store lives in. Every process that shares the directory (the same volume
 * or shared filesystem) reads the same id; a deployment with its own DATA_DIR has another.
 * Jobs carry it so a worker can tell that a job's artifacts are not in the store it can reach.
 */
export async function readOrCreateStoreId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'store-id');
  try {
    return await readId(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(dataDir, { recursive: true });
  const id = `store-${randomBytes(8).toString('hex')}`;
  try {
    // 'wx': of two processes starting together, one writes and both read its id
    await fs.writeFile(file, id + '\n', { flag: 'wx' });
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readId(file);
    throw err;
  }
}

async function readId(file: string): Promise<string> {
  const text = (await fs.readFile(file, 'utf8')).trim();
  // a file still empty is a writer that has not finished: read again shortly
  if (!text) {
    await new Promise((r) => setTimeout(r, 20));
    const again = (await fs.readFile(file, 'utf8')).trim();
    if (!again) throw new Error(`${file} is empty; delete it and restart`);
    return again;
  }
  return text;
}
