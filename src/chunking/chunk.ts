import { createHash } from 'node:crypto';

/** A chunk's content-derived id: sha256(path + NUL + text), hex, first 32 chars. Stable across runs. */
export function chunkId(path: string, text: string): string {
  return createHash('sha256').update(path).update('\0').update(text).digest('hex').slice(0, 32);
}
