/**
 * bench:quality — does search find the definition a user asks for?
 *
 * 1. Fetches the pinned corpora (bench/quality/corpora.ts) into the bench
 *    cache: $CODEINTEL_BENCH_CACHE, default ~/.cache/codeintel/bench-quality —
 *    outside any git work tree, where indexing would list files with git.
 * 2. Starts `codeintel serve` as a child process with its own REDIS_PREFIX and
 *    DATA_DIR under /tmp and REPO_ROOTS = the cache, indexes every corpus
 *    through the real queue (POST /v1/index-jobs) and asks every question of
 *    bench/quality/questions.json through POST /v1/search (k = 10): with the
 *    default channels, and with each channel alone (the ablation baseline).
 * 3. Ranks the very same chunks (read back from the Parquet parts) with a peer:
 *    LanceDB full-text search, default settings, top 10.
 *
 * A hit counts when its path is the target's and its lines contain the
 * target's definition line. Prints recall@1/5/10 and MRR per ranker, per
 * repository and per language; the last line is one JSON object:
 * {"questions", "recall_at_10", "mrr", "peer_recall_at_10", "peer_mrr", "by_language": {lang: {"recall_at_10", "mrr"}}, ...}
 * (top-level figures are for the default search).
 *
 * BENCH_QUALITY_REPOS=a,b limits the run to some repositories (for trying out questions);
 * BENCH_QUALITY_VERBOSE=1 logs each question's ranks and the default search's top 3 to stderr.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexJobView } from '../src/api/routes/indexJobs.js';
import { isGitWorkTree } from '../src/repo/gitFiles.js';
import { locateGitRepo } from '../src/repo/gitDir.js';
import { detectLanguage } from '../src/repo/language.js';
import { startServeProcess, type ServeProcess } from '../test/support/serveProcess.js';
import { dropPrefix, REDIS_URL } from '../test/support/stack.js';
import { CORPORA, ensureCorpus, pinOf } from './quality/corpora.js';
import { buildLancePeer, readIndexedChunks, type PeerIndex } from './quality/lancePeer.js';
import { fileRankOf, formatTable, rankOf, score, scoreBy, type RankedHit, type Scores } from './quality/metrics.js';
import { loadQuestions, resolveQuestion, type ResolvedQuestion } from './quality/questions.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K = 10;
const INDEX_TIMEOUT_MS = Number(process.env.BENCH_QUALITY_INDEX_TIMEOUT_MS ?? 15 * 60_000);
const VERBOSE = process.env.BENCH_QUALITY_VERBOSE === '1';
/** keep the run's DATA_DIR (its path is logged) to inspect the index afterwards */
const KEEP_DATA = process.env.BENCH_QUALITY_KEEP_DATA === '1';
const log = (msg: string) => process.stderr.write(`[bench:quality] ${msg}\n`);

/** The rankers, in the order the tables show them; `channels` undefined = the server's default fusion. */
const OUR_RANKERS = [
  { name: 'codeintel', channels: undefined },
  { name: 'codeintel:bm25', channels: ['bm25'] },
  { name: 'codeintel:dense', channels: ['dense'] },
] as const;
const PEER = 'lancedb-fts';

/** Per HTTP call: a server that stops answering fails the run instead of hanging it. */
const HTTP_TIMEOUT_MS = 60_000;

async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function indexAll(url: string, repos: { name: string; dir: string }[]): Promise<void> {
  const jobs = new Map<string, string>();
  for (const r of repos) {
    const res = await postJson(`${url}/v1/index-jobs`, { repo: r.dir, name: r.name });
    if (res.status !== 202) throw new Error(`bench:quality: POST /v1/index-jobs for ${r.name} answered ${res.status}: ${JSON.stringify(res.body)}`);
    jobs.set(r.name, (res.body as { jobId: string }).jobId);
  }
  const deadline = Date.now() + INDEX_TIMEOUT_MS;
  const pending = new Set(jobs.keys());
  while (pending.size) {
    for (const name of [...pending]) {
      const view = (await (await fetch(`${url}/v1/index-jobs/${jobs.get(name)}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) })).json()) as IndexJobView;
      if (view.state === 'failed') throw new Error(`bench:quality: indexing ${name} failed: ${view.error?.detail ?? JSON.stringify(view)}`);
      if (view.state === 'completed') {
        pending.delete(name);
        log(`indexed ${name}: ${view.result!.files} files, ${view.result!.chunks} chunks in ${(view.result!.durationMs / 1000).toFixed(1)} s`);
      }
    }
    if (pending.size && Date.now() > deadline) throw new Error(`bench:quality: still indexing after ${INDEX_TIMEOUT_MS} ms: ${[...pending].join(', ')}`);
    if (pending.size) await new Promise((r) => setTimeout(r, 500));
  }
}

async function searchOurs(url: string, repo: string, query: string, channels: readonly string[] | undefined): Promise<RankedHit[]> {
  const res = await postJson(`${url}/v1/search`, { repo, query, k: K, ...(channels ? { channels } : {}) });
  if (res.status !== 200) throw new Error(`bench:quality: POST /v1/search (${repo}, ${JSON.stringify(query)}) answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { hits: RankedHit[] }).hits.map((h) => ({ path: h.path, startLine: h.startLine, endLine: h.endLine }));
}

interface Outcome {
  question: ResolvedQuestion;
  language: string;
  /** per ranker: rank of the first hit holding the definition line */
  ranks: Record<string, number | null>;
  /** per ranker: rank of the first hit in the target's file (diagnostic) */
  fileRanks: Record<string, number | null>;
}

function report(outcomes: Outcome[]): void {
  const rankers = [...OUR_RANKERS.map((r) => r.name), PEER];
  const rows = (key: (o: Outcome) => string) =>
    rankers.flatMap((ranker) => {
      const files = scoreBy(outcomes, key, (o) => o.fileRanks[ranker]);
      return [...scoreBy(outcomes, key, (o) => o.ranks[ranker])].map(([group, scores]) => ({ ranker, group, scores, fileRecall: files.get(group)!.recall_at_10 }));
    });
  const overall = rankers.map((ranker) => ({
    ranker,
    group: 'all',
    scores: score(outcomes.map((o) => o.ranks[ranker])),
    fileRecall: score(outcomes.map((o) => o.fileRanks[ranker])).recall_at_10,
  }));
  console.log(`\nbench:quality — ${outcomes.length} questions, hit = target path and definition line inside the hit, k = ${K}`);
  console.log('(F@10: a hit anywhere in the target file within the top 10 — a diagnostic, not a score)\n');
  console.log(formatTable('set', overall));
  console.log('');
  console.log(formatTable('repository', rows((o) => o.question.repo)));
  console.log('');
  console.log(formatTable('language', rows((o) => o.language)));
  const missed = outcomes.filter((o) => o.ranks.codeintel === null).map((o) => o.question.id);
  console.log(`\ncodeintel (default) missed ${missed.length}: ${missed.join(' ')}\n`);

  const ours = score(outcomes.map((o) => o.ranks.codeintel));
  const peer = score(outcomes.map((o) => o.ranks[PEER]));
  const pick = (s: Scores) => ({ recall_at_10: s.recall_at_10, mrr: s.mrr });
  const byRanker = Object.fromEntries(rankers.map((r) => [r, score(outcomes.map((o) => o.ranks[r]))]));
  console.log(
    JSON.stringify({
      questions: outcomes.length,
      recall_at_10: ours.recall_at_10,
      mrr: ours.mrr,
      peer_recall_at_10: peer.recall_at_10,
      peer_mrr: peer.mrr,
      by_language: Object.fromEntries([...scoreBy(outcomes, (o) => o.language, (o) => o.ranks.codeintel)].map(([l, s]) => [l, pick(s)])),
      recall_at_1: ours.recall_at_1,
      recall_at_5: ours.recall_at_5,
      by_ranker: byRanker,
    }),
  );
}

async function main(): Promise<void> {
  const cacheDir = path.resolve(process.env.CODEINTEL_BENCH_CACHE || path.join(os.homedir(), '.cache', 'codeintel', 'bench-quality'));
  await fs.mkdir(path.join(cacheDir, 'corpora'), { recursive: true });
  // inside a git work tree the indexer lists files with git, and the corpora are untracked (or ignored) there
  const located = await locateGitRepo(await fs.realpath(cacheDir));
  if (located && (await isGitWorkTree(located))) throw new Error(`bench:quality: the cache ${cacheDir} is inside a git work tree; set CODEINTEL_BENCH_CACHE to a directory outside one`);
  const only = process.env.BENCH_QUALITY_REPOS?.split(',').map((s) => s.trim()).filter(Boolean);
  const corpora = CORPORA.filter((c) => !only || only.includes(c.name));
  if (!corpora.length) throw new Error(`bench:quality: BENCH_QUALITY_REPOS=${only} names no corpus (${CORPORA.map((c) => c.name).join(', ')})`);

  // 1. corpora and questions, all checked before anything is indexed
  const dirs = new Map<string, string>();
  for (const c of corpora) dirs.set(c.name, await fs.realpath(await ensureCorpus(c, cacheDir, log)));
  log(`corpora: ${corpora.map(pinOf).join(', ')} in ${cacheDir}`);
  const all = await loadQuestions(path.join(ROOT, 'bench', 'quality', 'questions.json'));
  const unknown = all.filter((q) => !CORPORA.some((c) => c.name === q.repo));
  if (unknown.length) throw new Error(`bench:quality: questions name unknown repos: ${[...new Set(unknown.map((q) => q.repo))].join(', ')}`);
  const questions: ResolvedQuestion[] = [];
  for (const q of all.filter((q) => dirs.has(q.repo))) questions.push(await resolveQuestion(q, dirs.get(q.repo)!));
  log(`${questions.length} questions, targets resolved`);

  // 2. our server, as users run it
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'codeintel-bench-quality-'));
  const prefix = `bench-quality-${randomBytes(4).toString('hex')}`;
  const env = {
    REDIS_URL,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    REPO_ROOTS: await fs.realpath(path.join(cacheDir, 'corpora')),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  let server: ServeProcess | null = null;
  try {
    server = await startServeProcess(env, 60_000);
    log(`codeintel serve at ${server.url} (REDIS_PREFIX=${prefix}, DATA_DIR=${dataDir})`);
    const t0 = performance.now();
    await indexAll(server.url, [...dirs].map(([name, dir]) => ({ name, dir })));
    log(`indexing took ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // 3. the peer, over the same chunks; every target must lie in some indexed chunk, or no ranker could find it
    const peers = new Map<string, PeerIndex>();
    const lanceDir = path.join(dataDir, 'lancedb');
    for (const name of dirs.keys()) {
      const chunks = await readIndexedChunks(dataDir, name);
      for (const q of questions.filter((q) => q.repo === name)) {
        for (const { path: p, line } of q.resolved) {
          if (!chunks.some((c) => c.path === p && c.start_line <= line && line <= c.end_line)) {
            throw new Error(`bench:quality: question ${q.id}: no indexed chunk of ${name} holds ${p}:${line} (was the file skipped?)`);
          }
        }
      }
      peers.set(name, await buildLancePeer(lanceDir, name, chunks));
    }

    // 4. the questions
    const t1 = performance.now();
    const outcomes: Outcome[] = [];
    for (const q of questions) {
      const ranks: Record<string, number | null> = {};
      const fileRanks: Record<string, number | null> = {};
      const rank = (ranker: string, hits: RankedHit[]) => {
        ranks[ranker] = rankOf(hits, q.resolved);
        fileRanks[ranker] = fileRankOf(hits, q.resolved);
      };
      let top: RankedHit[] = [];
      for (const r of OUR_RANKERS) {
        const hits = await searchOurs(server.url, q.repo, q.query, r.channels);
        if (r.name === 'codeintel') top = hits.slice(0, 3);
        rank(r.name, hits);
      }
      rank(PEER, await peers.get(q.repo)!.search(q.query, K));
      if (VERBOSE) {
        const want = q.resolved.map((t) => `${t.path}:${t.line}`).join(' or ');
        const shown = top.map((h) => `${h.path}:${h.startLine}-${h.endLine}`).join(', ');
        log(`${q.id} ${JSON.stringify(ranks)} want ${want}; top 3: ${shown}`);
      }
      outcomes.push({ question: q, language: detectLanguage(q.target.path), ranks, fileRanks });
    }
    log(`${questions.length * (OUR_RANKERS.length + 1)} searches took ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    report(outcomes);
  } finally {
    if (server) {
      const code = await server.stop();
      if (code !== 0) log(`codeintel serve exited with ${code}:\n${server.stderr().slice(-2000)}`);
    }
    await dropPrefix(prefix).catch((err) => log(`could not drop Redis prefix ${prefix}: ${err.message}`));
    if (KEEP_DATA) log(`kept DATA_DIR ${dataDir}`);
    else await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
