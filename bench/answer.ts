/**
 * bench:answer — a ≥100k-chunk index (384-d vectors), then, against
 * `codeintel serve` running as a child process:
 *   (a) search latency over real HTTP (POST /v1/search), 200 queries;
 *   (b) relay overhead of streamed answers: the time to first token seen by an
 *       SSE client minus the time to first token of the generator read
 *       directly. The generator is a fake vLLM chat server in this process;
 *       both times are measured from the moment that server received the
 *       request (its clock is this process's clock), so retrieval and queueing
 *       before the model call are not counted, only what sits between the
 *       model's first token and the client: the worker's stream parse, the
 *       Lua XADD+PUBLISH, the API's subscriber, the SSE write, the client parse.
 *
 * The index is written through the real sink/planner/ManifestStore code
 * (bench/syntheticCodeIndex.ts), not through the queue, to keep the build short.
 *
 * BENCH_DATA_DIR=<dir> keeps the built index there and reuses it next time;
 * BENCH_CHUNKS, BENCH_SEARCHES, BENCH_ANSWERS change the sizes.
 *
 * Last line: {"chunks", "search_p50_ms", "search_p95_ms", "relay_p50_ms", "relay_p95_ms"}
 */
import { createDuckDb } from '../src/catalog/duckdb.js';
import { loadConfig } from '../src/config/index.js';
import { createHashingEmbedder } from '../src/embedding/hashing.js';
import { readSse } from '../src/answer/sse.js';
import { hrNow, registerChatCompletions, startFakeOpenAIServer } from '../test/support/fakeOpenAIServer.js';
import { startServeProcess, type ServeProcess } from '../test/support/serveProcess.js';
import { dropPrefix, testEnv } from '../test/support/stack.js';
import { removeDir } from '../test/fixtures/repoHelpers.js';
import { rng } from '../src/vector/rng.mjs';
import { buildSyntheticIndex, zipf } from './syntheticCodeIndex.js';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 100_000);
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 200);
const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 200);
const REPO = 'synthetic';
const log = (msg: string) => process.stderr.write(`[bench:answer] ${msg}\n`);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const r2 = (x: number) => Math.round(x * 100) / 100;

async function main() {
  const fake = await startFakeOpenAIServer();
  const reply = Array.from({ length: 24 }, (_, i) => (i === 5 ? '[1] ' : `word${i} `));
  const chat = registerChatCompletions(fake, { model: 'bench-chat', reply, firstTokenDelayMs: 15, tokenDelayMs: 1 });
  const { env, dataDir, prefix } = await testEnv({
    LOG_LEVEL: 'warn',
    LLM_URL: fake.baseUrl,
    LLM_MODEL: 'bench-chat',
    LLM_MAX_TOKENS: '64',
    // BENCH_DATA_DIR: build the index there once and reuse it on later runs
    ...(process.env.BENCH_DATA_DIR ? { DATA_DIR: process.env.BENCH_DATA_DIR } : {}),
  });
  const config = loadConfig(env);
  let serve: ServeProcess | null = null;
  try {
    // 1. the index
    const t0 = performance.now();
    const db = await createDuckDb({ poolSize: 2 });
    const embedder = createHashingEmbedder({ dim: config.embedding.dim });
    let built;
    try {
      built = await buildSyntheticIndex({ config, db, embedder, repo: REPO, chunks: CHUNKS, log, reuse: !!process.env.BENCH_DATA_DIR });
    } finally {
      await db.close();
    }
    log(`index of ${built.chunks} chunks (${config.embedding.dim}-d, ${built.manifest.vectors.primary?.type}) built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // 2. the server, as users run it
    serve = await startServeProcess(env, 60_000);
    log(`codeintel serve at ${serve.url}`);
    const next = rng(99);
    const pick = zipf(built.vocab.length, next);
    const query = () => {
      const n = 2 + Math.floor(next() * 3);
      return Array.from({ length: n }, () => built.vocab[pick()].replace(/_/g, next() < 0.5 ? ' ' : '_')).join(' ');
    };
    const search = async (q: string) => {
      const t = performance.now();
      const res = await fetch(`${serve!.url}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ repo: REPO, query: q, k: 10 }),
        signal: AbortSignal.timeout(120_000),
      });
      const body = (await res.json()) as { hits?: unknown[]; timingsMs?: Record<string, number>; detail?: string };
      if (res.status !== 200) throw new Error(`search answered ${res.status}: ${body.detail}`);
      return { ms: performance.now() - t, body };
    };
    const tw = performance.now();
    await search('warm up the repo reader');
    log(`first search (loads the catalog and FAISS) took ${((performance.now() - tw) / 1000).toFixed(1)} s`);
    for (let i = 0; i < 10; i++) await search(query());

    // (a) search latency through the API
    const searchMs: number[] = [];
    const stages: Record<string, number[]> = {};
    for (let i = 0; i < SEARCHES; i++) {
      const { ms, body } = await search(query());
      searchMs.push(ms);
      for (const [k, v] of Object.entries(body.timingsMs ?? {})) (stages[k] ??= []).push(v);
    }
    log(`search: p50 ${r2(percentile(searchMs, 50))} ms, p95 ${r2(percentile(searchMs, 95))} ms over ${SEARCHES} queries`);
    log(`server-side stage p95s: ${Object.entries(stages).map(([k, v]) => `${k} ${r2(percentile(v, 95))}`).join(', ')}`);

    // (b) relay overhead: SSE time-to-first-token vs the generator read directly
    const relayMs: number[] = [];
    const directMs: number[] = [];
    const sseMs: number[] = [];
    for (let i = 0; i < ANSWERS; i++) {
      const q = query();
      // the baseline: this process reads the generator's stream itself
      const before = chat.streams.length;
      const direct = await fetch(`${fake.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'bench-chat', stream: true, messages: [{ role: 'user', content: q }], max_tokens: 64 }),
      });
      let directFirst = 0;
      for await (const m of readSse(direct.body!)) {
        if (m.data !== '[DONE]' && JSON.parse(m.data).choices?.[0]?.delta?.content) {
          directFirst = hrNow();
          break;
        }
      }
      const directLog = chat.streams[before];
      await directLog.ended;

      // the same through codeintel: POST, then the SSE stream
      const posted = await fetch(`${serve.url}/v1/answers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repo: REPO, question: q, k: 4 }) });
      const { eventsUrl } = (await posted.json()) as { eventsUrl: string };
      const res = await fetch(`${serve.url}${eventsUrl}`, { headers: { accept: 'text/event-stream' } });
      let sseFirst = 0;
      let ended = '';
      for await (const m of readSse(res.body!)) {
        if (m.event === 'token' && !sseFirst) sseFirst = hrNow();
        if (m.event === 'done' || m.event === 'error') {
          ended = m.event;
          break;
        }
      }
      if (ended !== 'done' || !sseFirst) throw new Error(`answer ${i} ended with ${ended || 'nothing'}`);
      const answerLog = chat.streams.slice(before + 1).find((s) => s.body.messages?.at(-1)?.content.endsWith(`Question: ${q}`));
      if (!answerLog) throw new Error(`answer ${i}: the generator never saw its request`);
      const d = directFirst - directLog.receivedAt;
      const s = sseFirst - answerLog.receivedAt;
      directMs.push(d);
      sseMs.push(s);
      relayMs.push(s - d);
    }
    log(`generator TTFT read directly: p50 ${r2(percentile(directMs, 50))} ms; through SSE: p50 ${r2(percentile(sseMs, 50))} ms, p95 ${r2(percentile(sseMs, 95))} ms`);
    log(`relay overhead: p50 ${r2(percentile(relayMs, 50))} ms, p95 ${r2(percentile(relayMs, 95))} ms over ${ANSWERS} answers`);

    process.stdout.write(
      `${JSON.stringify({
        chunks: built.chunks,
        search_p50_ms: r2(percentile(searchMs, 50)),
        search_p95_ms: r2(percentile(searchMs, 95)),
        relay_p50_ms: r2(percentile(relayMs, 50)),
        relay_p95_ms: r2(percentile(relayMs, 95)),
      })}\n`,
    );
  } finally {
    if (serve) {
      // a server that does not stop within 30 s is reported and killed, not waited on forever
      const stopped = await Promise.race([serve.stop(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref())]);
      if (stopped === 'timeout') {
        log(`codeintel serve (pid ${serve.proc.pid}) did not exit within 30 s of SIGTERM; killing it. Its log:\n${serve.stderr().slice(-4000)}`);
        await serve.kill();
      }
    }
    await fake.close();
    await dropPrefix(prefix);
    await removeDir(dataDir);
    if (process.env.BENCH_DATA_DIR) log(`index kept in ${config.dataDir} for the next run`);
    else await removeDir(config.dataDir);
  }
}

main().catch((err) => {
  log(err?.stack ?? String(err));
  process.exit(1);
});
