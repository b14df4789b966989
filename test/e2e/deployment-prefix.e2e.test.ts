import { afterAll, describe, expect, it } from 'vitest';
import { removeDir } from '../fixtures/repoHelpers.js';
import { runCli, startServeProcess, type ServeProcess } from '../support/serveProcess.js';
import { dropPrefix, testEnv } from '../support/stack.js';

/** Issue 13, hole 5, as an operator sees it: the second deployment's process says why in one line and exits. */
describe('a second deployment on the same REDIS_PREFIX', () => {
  let first: ServeProcess | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    await first?.stop();
    for (const c of cleanups) await c();
  });

  it('refuses to start with exit code 1 and one line naming the prefix and what to do', async () => {
    const a = await testEnv({ LOG_LEVEL: 'warn' });
    const b = await testEnv({ LOG_LEVEL: 'warn', REDIS_PREFIX: a.prefix });
    cleanups.push(() => dropPrefix(a.prefix), () => removeDir(a.dataDir), () => removeDir(b.dataDir));
    first = await startServeProcess(a.env);
    const second = await runCli(['worker', '--role', 'sink'], b.env, 60_000);
    expect(second.code).toBe(1);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^codeintel: REDIS_PREFIX "${a.prefix}" is in use by another deployment .*give each deployment its own REDIS_PREFIX`));
  });
});
