/**
 * bench:incremental — index a repository of >= 2,000 files (source files
 * copied out of this project's node_modules into a temp git repo) through
 * the real queue (API + every worker role in process, test/support/stack.ts),
 * touch one file, index again, and compare the two runs' wall-clock times.
 * A third run with nothing changed shows the floor (listing + hashing).
 *
 * Settings (env): BENCH_FILES (default 2500).
 * Last line: {"full_s", "incremental_s", "ratio", ...details}
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { IndexRunResult } from '../src/contracts/results.js';
import { openSnapshot } from '../src/repo/snapshot.js';
import { commitAll, initRepo, makeTmpDir, removeDir } from '../test/fixtures/repoHelpers.js';
import { postJson, startStack, type TestStack } from '../test/support/stack.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const WANT_FILES = Number(process.env.BENCH_FILES ?? 2500);
const log = (msg: string) => process.stderr.write(`[bench:incremental] ${msg}\n`);
const secs = (ms: number) => Math.round(ms / 10) / 100;

/** Copy source files out of node_modules into `dest` (sorted walk, so the corpus is the same every time). */
async function buildCorpus(dest: string, want: number): Promise<string[]> {
  const exts = new Set(['.js', '.ts', '.mjs', '.cjs', '.md', '.py']);
  const copied: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (copied.length >= want) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && exts.has(path.extname(e.name)) && !e.name.endsWith('.min.js')) {
        const stat = await fs.stat(full);
        if (stat.size > 100_000 || stat.size < 200) continue;
        const rel = path.join('vendor', path.relative(path.join(ROOT, 'node_modules'), full));
        await fs.mkdir(path.dirname(path.join(dest, rel)), { recursive: true });
        await fs.copyFile(full, path.join(dest, rel));
        copied.push(rel);
      }
    }
  }
  await walk(path.join(ROOT, 'node_modules'));
  return copied;
}

async function timedRun(stack: TestStack, repo: string) {
  const t0 = performance.now();
  const submit = await postJson(`${stack.url}/v1/index-jobs`, { repo, name: 'bench' });
  if (submit.status !== 202) throw new Error(`submit failed: ${JSON.stringify(submit.body)}`);
  // poll every 20 ms (the test helper's 100 ms would be a sizeable part of a sub-second run)
  let done: { state: string; result?: IndexRunResult; error?: unknown };
  for (;;) {
    done = (await (await fetch(`${stack.url}/v1/index-jobs/${submit.body.jobId}`)).json()) as typeof done;
    if (done.state === 'completed' || done.state === 'failed') break;
    if (performance.now() - t0 > 30 * 60_000) throw new Error(`run still ${done.state} after 30 minutes`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const wall = performance.now() - t0;
  if (done.state !== 'completed') throw new Error(`run failed: ${JSON.stringify(done.error)}`);
  return { s: secs(wall), result: done.result! };
}

async function main() {
  const repo = await makeTmpDir('codeintel-bench-inc-');
  let stack: TestStack | undefined;
  try {
    const files = await buildCorpus(repo, WANT_FILES);
    initRepo(repo);
    commitAll(repo, 'corpus');
    log(`corpus: ${files.length} files in ${repo}`);

    // what the plan step costs on its own: list every file and hash its bytes
    const t = performance.now();
    const snapshot = await openSnapshot(repo, { maxFileBytes: 1_048_576, maxLineChars: 1000 });
    const listing = await snapshot.listFiles();
    snapshot.close();
    const listHashS = secs(performance.now() - t);
    log(`listing + hashing ${listing.files.length} files: ${listHashS} s`);

    stack = await startStack({ env: { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent' } });
    const full = await timedRun(stack, repo);
    log(`full run: ${full.s} s, ${full.result.files} files, ${full.result.chunks} chunks`);

    const touched = files[Math.floor(files.length / 2)];
    await fs.appendFile(path.join(repo, touched), '\n// touched by bench:incremental\n');
    const incremental = await timedRun(stack, repo);
    log(`incremental run (1 file touched: ${touched}): ${incremental.s} s, changed ${incremental.result.changed}`);
    if (incremental.result.changed !== 1 || incremental.result.added + incremental.result.deleted !== 0) {
      throw new Error(`expected exactly one changed file, got ${JSON.stringify(incremental.result)}`);
    }

    const unchanged = await timedRun(stack, repo);
    log(`unchanged run: ${unchanged.s} s (${unchanged.result.note ?? ''})`);

    console.log(
      JSON.stringify({
        full_s: full.s,
        incremental_s: incremental.s,
        ratio: Math.round((incremental.s / full.s) * 1000) / 1000,
        unchanged_s: unchanged.s,
        list_hash_s: listHashS,
        files: full.result.files,
        chunks: full.result.chunks,
        incremental_version: incremental.result.manifestVersion,
      }),
    );
  } finally {
    await stack?.close();
    await removeDir(repo);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
