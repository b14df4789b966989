import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDb, sqlString, type DuckDb } from '../../src/catalog/duckdb.js';
import { DirectoryManifestStore } from '../../src/manifest/store.js';
import { readPartMetadata } from '../../src/sinks/parquetSink.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { dropPrefix, postJson, REDIS_URL } from '../support/stack.js';

/**
 * The ONNX path end to end, as an operator runs it: models written by
 * scripts/make-test-models.ts, `codeintel serve` in a child process with
 * EMBEDDER=onnx and a SPLADE model, then `codeintel index <this repo> --wait`.
 * Every chunk of this project's own repository must come out with a dense
 * vector of the model's dimension and a non-empty SPLADE term map.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'codeintel.mjs');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const HIDDEN = 32;
const REPO = 'codeintel-self';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Start `codeintel serve` and wait for the line that gives its URL. */
function startServe(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`codeintel serve did not start within 60 s:\n${stderr}`)), 60_000);
    child.stderr!.on('data', (d) => (stderr += d));
    child.stdout!.on('data', (d) => {
      stdout += d;
      const m = /codeintel is serving at (http:\/\/\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], stderr: () => stderr });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`codeintel serve exited with ${code}:\n${stderr}`));
    });
  });
}

describe('codeintel index of this repository with an ONNX embedder and a SPLADE model (child processes)', () => {
  let tmp: string;
  let dataDir: string;
  let serve: { child: ChildProcess; url: string; stderr: () => string };
  let db: DuckDb;
  let index: { code: number | null; stdout: string; stderr: string };
  const prefix = `citest-e2e-onnx-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    tmp = await makeTmpDir('codeintel-e2e-onnx-');
    dataDir = path.join(tmp, 'data');
    const models = path.join(tmp, 'models');
    const made = await run(TSX, ['scripts/make-test-models.ts', models, '--hidden', String(HIDDEN), '--splade-hidden', '16'], process.env);
    expect(made.code, made.stderr).toBe(0);

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      EMBEDDER: 'onnx',
      EMBEDDING_MODEL_DIR: path.join(models, 'embed'),
      EMBEDDING_DIM: String(HIDDEN),
      SPLADE_MODEL_DIR: path.join(models, 'splade'),
      SPLADE_MODEL_ID: 'codeintel-test/splade-code',
      SPLADE_MAX_TOKENS: '256',
    };
    serve = await startServe(env);
    index = await run(process.execPath, [BIN, 'index', ROOT, '--name', REPO, '--wait'], { ...env, CODEINTEL_URL: serve.url });
    db = await createDuckDb({ threads: 1 });
  }, 150_000);

  afterAll(async () => {
    await db?.close();
    if (serve?.child.exitCode === null) {
      serve.child.kill('SIGTERM');
      await new Promise((r) => serve.child.once('exit', r));
    }
    await dropPrefix(prefix);
    if (tmp) await removeDir(tmp);
  });

  it('`codeintel index --wait` reports the run as done', () => {
    expect(index.code, `${index.stderr}\n--- serve ---\n${serve.stderr()}`).toBe(0);
    expect(index.stdout).toMatch(new RegExp(`indexed "${REPO}" v1: \\d+ files, \\d+ chunks`));
    expect(index.stdout).toContain(`with codeintel-test/embed-code-${HIDDEN}d-seed7`);
  });

  it('writes, for every chunk, a dense vector of the model dimension and a non-empty SPLADE map', async () => {
    const manifest = (await new DirectoryManifestStore(dataDir).current(REPO))!;
    const parts = sqlString(path.join(dataDir, 'repos', REPO, 'parts', '*.parquet'));
    const row = await db.withConnection(async (c) =>
      (
        await c.runAndReadAll(`SELECT
            count(*)::INTEGER AS rows,
            count(DISTINCT chunk_id)::INTEGER AS ids,
            count(*) FILTER (WHERE len(embedding) = ${HIDDEN})::INTEGER AS with_vector,
            count(*) FILTER (WHERE splade IS NOT NULL AND cardinality(splade) > 0)::INTEGER AS with_terms,
            min(cardinality(splade))::INTEGER AS fewest_terms
          FROM read_parquet(${parts})`)
      ).getRowObjectsJS()[0],
    );
    expect(manifest.stats.chunks).toBeGreaterThan(300);
    expect(row).toEqual({
      rows: manifest.stats.chunks,
      ids: manifest.stats.chunks,
      with_vector: manifest.stats.chunks,
      with_terms: manifest.stats.chunks,
      fewest_terms: expect.any(Number),
    });
    expect(row.fewest_terms).toBeGreaterThan(0);
    // this very file was indexed
    const self = await db.withConnection(async (c) =>
      (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet(${parts}) WHERE path = 'test/e2e/onnx-splade-index.e2e.test.ts'`)).getRowObjectsJS()[0],
    );
    expect(self.n).toBeGreaterThan(0);
  });

  it('records the provenance in the Parquet metadata and the manifest', async () => {
    const manifest = (await new DirectoryManifestStore(dataDir).current(REPO))!;
    expect(manifest.embedding).toMatchObject({ provider: 'onnx', model: `codeintel-test/embed-code-${HIDDEN}d-seed7`, dim: HIDDEN, pooling: 'mean', normalize: true });
    expect(manifest.sparse).toEqual({ model: 'codeintel-test/splade-code', topK: 400, minWeight: 0.05 });
    expect(Date.parse(manifest.createdAt)).toBeGreaterThan(0);
    const meta = await readPartMetadata(db, path.join(dataDir, 'repos', REPO, manifest.parts[0]));
    expect(meta.kv).toMatchObject({
      embedding_model: manifest.embedding.model,
      embedding_dim: String(HIDDEN),
      embedding_pooling: 'mean',
      embedding_normalize: 'true',
      splade_model: 'codeintel-test/splade-code',
      splade_top_k: '400',
      splade_min_weight: '0.05',
    });
    expect(Date.parse(meta.kv.created_at)).toBeGreaterThan(0);
  });

  it('answers POST /v1/search on the splade channel alone', async () => {
    const res = await postJson(`${serve.url}/v1/search`, { repo: REPO, query: 'halve the batch when the device runs out of memory', channels: ['splade'], k: 5 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.hits.length).toBeGreaterThan(0);
    for (const hit of res.body.hits) expect(Object.keys(hit.channels)).toEqual(['splade']);
  });

  it('says in /readyz which SPLADE model serves the sparse channel', async () => {
    const ready = (await (await fetch(`${serve.url}/readyz`)).json()) as { checks: Record<string, unknown> };
    expect(ready.checks.splade).toMatchObject({ ok: true, configured: true, model: 'codeintel-test/splade-code' });
    expect(ready.checks.embedder).toMatchObject({ ok: true, provider: 'onnx', dim: HIDDEN });
  });
});
