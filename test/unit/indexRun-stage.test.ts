import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { artifactKeys } from '../../src/contracts/artifacts.js';
import { stageChunks } from '../../jobs/indexRun/stage.js';
import type { IndexRunDeps, RunPlan } from '../../jobs/indexRun/types.js';
import type { IndexRunPayload } from '../../src/contracts/payloads.js';
import { createDirectoryArtifactStore } from '../../src/artifacts/store.js';
import { createChunker } from '../../src/chunking/index.js';
import { silentLogger } from '../../src/observability/logger.js';

const FILES: Record<string, [language: string, text: string]> = {
  'src/a.ts': ['typescript', 'export function a() {\n  return 1;\n}\n'],
  'deploy.yaml': ['yaml', 'replicas: 2\nimage: codeintel\n'],
  'package.json': ['json', '{\n  "name": "x"\n}\n'],
  'lib/run.kt': ['kotlin', 'fun main() {\n  println("hi")\n}\n'],
  'lib/other.kt': ['kotlin', 'fun other() = 1\n'],
  'README.md': ['markdown', '# Title\n\nText.\n'],
};

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the chunk step of index.run', () => {
  it('counts, per language, the files that got plain line windows', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'stage-'));
    const artifacts = createDirectoryArtifactStore(dir);
    const runId = 'run1';
    const files = Object.entries(FILES).map(([p, [language, text]]) => ({ path: p, hash: p, language, size: text.length }));
    const plan: RunPlan = { files, diff: { added: files.map((f) => f.path), changed: [], deleted: [], unchanged: [] }, skipped: {}, previousVersion: null, full: true };
    await artifacts.putJson(artifactKeys.plan(runId), plan);
    const deps = {
      artifacts,
      batchSize: 100,
      createChunker: () => createChunker({ maxTokens: 400, windowLines: 60, overlapLines: 10 }),
      openSnapshot: async () => ({ listFiles: async () => ({ files, skipped: [] }), read: async (p: string) => FILES[p][1] }),
      progress: { read: async () => ({ embedded: 0, expanded: 0, written: 0 }) },
    } as unknown as IndexRunDeps;
    const data = { runId, repo: 'r', source: { kind: 'directory', path: dir } } as unknown as IndexRunPayload;

    const staged = await stageChunks(deps, data, async () => {}, silentLogger(), async () => {});

    expect(staged.lineWindowed).toEqual({ yaml: 1, json: 1, kotlin: 2 });
    expect(Object.keys(staged.fileChunks).sort()).toEqual(Object.keys(FILES).sort());
  });
});
