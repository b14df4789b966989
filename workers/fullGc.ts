import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full V8 garbage collection, for after a repo reader load: the load leaves
 * hundreds of MB of garbage at 1M chunks (the parsed manifest, the ids file's
 * text, DuckDB's row batches) that V8 keeps resident until its next major GC,
 * which steady searching may not trigger for a long time. `gc` is exposed to
 * a fresh context only (the process's own global stays as it was).
 */
export function createFullGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => gc();
}
