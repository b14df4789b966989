import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, SAMPLE_REPO } from '../fixtures/repoHelpers.js';
import { registerChatCompletions, startFakeOpenAIServer, type ChatControl, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { runCli, startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { readEvents } from '../support/sseClient.js';
import { dropPrefix, postJson, testEnv, waitForIndexJob } from '../support/stack.js';

/**
 * `codeintel serve` as a child process, a fake vLLM chat server speaking the
 * OpenAI streaming protocol, and real clients: an SSE reader over fetch and
 * `codeintel ask`. Citations must point at the lines that answer.
 */

const QUESTION = 'compute_interest annual_rate periods_per_year';

describe('answers end to end: codeintel serve + SSE client + codeintel ask', () => {
  let fake: FakeOpenAIServer;
  let chat: ChatControl;
  let serve: ServeProcess;
  let env: Record<string, string>;
  let dataDir: string;
  let prefix: string;

  beforeAll(async () => {
    fake = await startFakeOpenAIServer();
    chat = registerChatCompletions(fake, { model: 'chat-model', reply: ['Interest ', 'is ', 'computed ', 'by ', '`compute_interest` ', '[1', ']', '.'] });
    ({ env, dataDir, prefix } = await testEnv({ LOG_LEVEL: 'warn', LLM_URL: fake.baseUrl, LLM_MODEL: 'chat-model' }));
    serve = await startServeProcess(env);
    env.CODEINTEL_URL = serve.url;
    const submit = await postJson(`${serve.url}/v1/index-jobs`, { repo: SAMPLE_REPO, name: 'sample' });
    expect((await waitForIndexJob(serve.url, submit.body.jobId)).state).toBe('completed');
  });
  afterAll(async () => {
    expect(await serve?.stop()).toBe(0);
    await fake?.close();
    await dropPrefix(prefix);
    await removeDir(dataDir);
  });

  const fileLines = async (rel: string, start: number, end: number) =>
    (await fs.readFile(path.join(SAMPLE_REPO, rel), 'utf8')).split('\n').slice(start - 1, end).join('\n');

  it('streams an answer over SSE whose citations point at the right lines', async () => {
    const posted = await postJson(`${serve.url}/v1/answers`, { repo: 'sample', question: QUESTION, k: 4 });
    expect(posted.status).toBe(202);
    const { events } = await readEvents(`${serve.url}${posted.body.eventsUrl}`);
    expect(events.map((e) => e.event)).toEqual(['retrieval', 'token', 'token', 'token', 'token', 'token', 'token', 'token', 'citation', 'token', 'done']);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    const done = events.at(-1)!.data;
    expect(done.answer).toBe('Interest is computed by `compute_interest` [1].');
    const [c] = done.citations;
    expect(c).toMatchObject({ n: 1, path: 'bank/account.py' });
    expect(await fileLines(c.path, c.startLine, c.endLine)).toContain('def compute_interest(balance: Decimal');
    expect(chat.streams.at(-1)!.completed).toBe(true);
  });

  it('`codeintel ask` prints the tokens as they arrive, then the citations', async () => {
    const res = await runCli(['ask', 'sample', QUESTION, '--k', '4'], env);
    expect(res.code, res.stderr).toBe(0);
    const [answer, sources] = res.stdout.split('\n\nSources:\n');
    expect(answer).toBe('Interest is computed by `compute_interest` [1].');
    const m = /^ {2}\[1\] (\S+):(\d+)-(\d+)$/m.exec(sources);
    expect(m, res.stdout).not.toBeNull();
    expect(m![1]).toBe('bank/account.py');
    expect(await fileLines(m![1], Number(m![2]), Number(m![3]))).toContain('def compute_interest');
    expect(res.stderr).toMatch(/\(4 sources from sample v1\)/);
  });

  it('`codeintel ask` explains an unknown repo', async () => {
    const res = await runCli(['ask', 'nope', 'anything'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/error 404: repo "nope" is not indexed; "codeintel repos" lists the indexed ones/);
    expect(res.stderr).not.toMatch(/\/v1\//);
  });
});
