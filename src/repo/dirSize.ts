import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Bytes on disk under `dir` (apparent sizes, symlinks not followed). Stops counting once
 * `stopAbove` is exceeded, so checking a huge tree against a limit stays cheap.
 */
export async function dirSize(dir: string, stopAbove = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  const pending = [dir];
  while (pending.length && total <= stopAbove) {
    const current = pending.pop()!;
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue; // vanished or unreadable mid-walk (e.g. git renaming temp packs)
    }
    const sizes = await Promise.all(
      entries.map(async (e) => {
        const full = path.join(current, e.name);
        if (e.isDirectory()) {
          pending.push(full);
          return 0;
        }
        try {
          return (await lstat(full)).size;
        } catch {
          return 0;
        }
      }),
    );
    for (const s of sizes) total += s;
  }
  return total;
}
