import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { postJson, startStack, waitForIndexJob, type TestStack } from '../support/stack.js';

describe('answer metrics', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack();
    const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample' });
    expect((await waitForIndexJob(stack.url, submit.body.jobId)).state).toBe('completed');
  });
  afterAll(async () => stack?.close());

  it('counts finished answers by state and records time to first token and total time', async () => {
    const posted = await postJson(`${stack.url}/v1/answers`, { repo: 'sample', question: 'how is interest computed?' });
    expect(posted.status).toBe(202);
    let record: { state: string } | undefined;
    for (let i = 0; i < 200; i++) {
      record = (await (await fetch(`${stack.url}${posted.body.resultUrl}`)).json()) as { state: string };
      if (record.state === 'completed' || record.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(record?.state).toBe('completed');
    const text = await (await fetch(`${stack.url}/metrics`)).text();
    expect(text).toMatch(/^answers_total\{state="completed"\} 1$/m);
    expect(text).toMatch(/^answer_ttft_ms_count 1$/m);
    expect(text).toMatch(/^answer_total_ms_count 1$/m);
  });
});
