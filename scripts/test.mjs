#!/usr/bin/env node
// `npm test`: the same setup as `npm start`, a Redis that answers, a type
// check, ESLint, the import-boundary check, then the whole vitest suite (unit,
// integration, e2e).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';
import { ensureRedis } from './ensure-redis.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await setup();
await ensureRedis();
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(bin('tsc'), ['--noEmit', '-p', '.']);
run(bin('eslint'), ['.']);
// the import-boundary check: layers import only downward, no cycles (.dependency-cruiser.cjs)
run(bin('depcruise'), ['src', 'jobs', 'workers', 'dashboard', 'bin', '--config', '.dependency-cruiser.cjs', '--output-type', 'err']);
run(bin('vitest'), ['run', ...process.argv.slice(2)]);
