import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/main.js';
import { problemText } from '../../src/cli/problemText.js';

const type = (slug: string) => `https://codeintel.dev/problems/${slug}`;

describe('CLI error messages name commands, not routes', () => {
  it('an unknown repo points at codeintel repos and codeintel index', () => {
    const text = problemText(
      { type: type('repo-not-indexed'), detail: 'repo "x" has no committed index; index it first (codeintel index, or POST /v1/index-jobs)', repo: 'x' },
      '',
    );
    expect(text).toMatch(/codeintel repos/);
    expect(text).toMatch(/codeintel index <path\|git-url> --name x --wait/);
    expect(text).not.toMatch(/\/v1\//);
  });

  it('a run in flight names its job and how to follow it', () => {
    const text = problemText({ type: type('run-in-progress'), detail: 'repo "x" already has an active index run', jobId: 'x-1', repo: 'x' }, '');
    expect(text).toBe('repo "x" already has an active index run: job x-1; follow it with "codeintel status x-1", or run the index command again with --wait');
  });

  it('strips route hints from any other message', () => {
    expect(problemText({ type: type('answer-events-expired'), detail: 'events after 3 are no longer kept; GET /v1/answers/abc has the answer' }, '')).toBe(
      'events after 3 are no longer kept',
    );
    expect(problemText({ type: type('x'), detail: 'it ended (DELETE /v1/answers/:id, or its last client went away)' }, '')).toBe('it ended');
  });
});

describe('the index --wait progress line', () => {
  const progress = (phase: 'plan' | 'chunk' | 'encode', files: [number, number], chunks: [number, number] = [0, 0]) => ({
    phase,
    files: { done: files[0], total: files[1] },
    chunks: { written: chunks[0], total: chunks[1], embedded: 0, expanded: 0 },
  });

  it('shows no file count while planning (no "0/1 files")', () => {
    const line = progressLine(progress('plan', [0, 0]), 0, 0, 1000);
    expect(line.counts).toBe('listing and hashing files');
    expect(line.counts).not.toMatch(/\d+\/\d+/);
    expect(line.eta).toBe('');
  });

  it('shows no time left before anything is done (no "NFs left")', () => {
    expect(progressLine(progress('chunk', [0, 200]), 0, 0, 5000).eta).toBe('');
  });

  it('estimates the time left from this phase rate', () => {
    // 50 of 200 files in 10 s: 150 more at 5/s is 30 s
    expect(progressLine(progress('chunk', [50, 200]), 0, 0, 10_000)).toEqual({ value: 50, total: 200, counts: '50/200 files', eta: '30s left' });
    expect(progressLine(progress('encode', [200, 200], [100, 1000]), 0, 0, 10_000).eta).toBe('1m 30s left');
  });
});
