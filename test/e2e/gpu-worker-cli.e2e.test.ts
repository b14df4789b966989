import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'codeintel.mjs');

/** Run the real CLI in a child process on this (GPU-less) machine. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = await makeTmpDir('codeintel-gpu-cli-');
  try {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        REDIS_PREFIX: 'citest-gpu-cli',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'error',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, stdout, stderr };
  } finally {
    await removeDir(dataDir);
  }
}

describe('codeintel worker --role gpu with REQUIRE_GPU=1 on a machine without a GPU', () => {
  it('refuses to start: exit code 99 and a diagnosis naming each failed check', async () => {
    const { code, stderr } = await cli(['worker', '--role', 'gpu'], { REQUIRE_GPU: '1' });
    expect(code).toBe(99);
    expect(stderr).toContain('REQUIRE_GPU=1 but this worker cannot run the GPU stage');
    expect(stderr).toMatch(/\[FAILED\] nvidia-smi: /);
    expect(stderr).toMatch(/\[FAILED\] cuda-provider: onnxruntime CUDA execution provider did not load/);
    expect(stderr).toMatch(/\[FAILED\] vllm-health: VLLM_URL is not set/);
  });

  it('pins the worker with --gpu N before the checks run, and says which GPU it was', async () => {
    const { code, stderr } = await cli(['worker', '--role', 'gpu', '--gpu', '1'], { REQUIRE_GPU: '1', VLLM_URL: 'http://127.0.0.1:9/v1' });
    expect(code).toBe(99);
    expect(stderr).toContain('(GPU 1, CUDA_VISIBLE_DEVICES=1)');
    expect(stderr).toMatch(/\[FAILED\] nvidia-smi: /);
    expect(stderr).toMatch(/\[FAILED\] vllm-health: http:\/\/127\.0\.0\.1:9\/health did not answer/);
  });
});
