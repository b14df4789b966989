import type { Job, Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { findIndexJobView } from '../../src/api/routes/indexJobs.js';
import type { RunProgress } from '../../src/queue/runProgress.js';

/**
 * A run that completes between the two reads of a status request: the view must never say
 * "completed" without the result (seen as `result: null` by pollers before the state was read first).
 */
describe('the view of an index job', () => {
  it('reads the state before the job, so a completed state always comes with its result', async () => {
    const reads: string[] = [];
    let completed = false;
    const job = () =>
      ({
        id: 'run-1',
        name: 'index.run',
        data: { runId: 'run-1', repo: 'r' },
        progress: {},
        attemptsMade: 1,
        returnvalue: completed ? { manifestVersion: 1, files: 1, chunks: 2 } : null,
      }) as unknown as Job;
    const queue = {
      async getJobState() {
        reads.push('state');
        return completed ? 'completed' : 'active';
      },
      async getJob() {
        reads.push('job');
        const snapshot = job();
        completed = true; // the run finishes right after this read
        return snapshot;
      },
    } as unknown as Queue;
    const progress = { read: async () => ({}) } as unknown as RunProgress;

    const first = await findIndexJobView({ queues: { index: queue }, progress }, 'run-1');
    expect(reads).toEqual(['state', 'job']);
    expect(first.state).toBe('active');
    const second = await findIndexJobView({ queues: { index: queue }, progress }, 'run-1');
    expect(second).toMatchObject({ state: 'completed', result: { manifestVersion: 1, chunks: 2 } });
  });
});
