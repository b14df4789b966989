import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { cloneDirRunId } from '../repo/intake.js';

/** A run's state as the index queue knows it ('unknown' when the job is gone). */
export type RunState = (runId: string) => Promise<string>;

const FINISHED = new Set(['completed', 'failed', 'unknown']);

/**
 * Remove clone directories (whole or partial) of runs that are over: a failed run, a
 * run whose job was removed, a run whose process died and whose job then failed. A
 * finished run removes its own clone; this catches every way a run can end without
 * doing so (a failed child fails the run without running it again). Returns what it removed.
 */
export async function sweepFinishedClones(clonesDir: string, stateOf: RunState): Promise<string[]> {
  const names = await readdir(clonesDir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const state = await stateOf(cloneDirRunId(name)).catch(() => 'active'); // Redis unreachable: keep it
    if (!FINISHED.has(state)) continue;
    await rm(path.join(clonesDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
