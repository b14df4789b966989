#!/usr/bin/env node
// `npm start`: install what is missing, make sure Redis answers, then run the
// API and every worker role in one process on embedded defaults.
// package.json runs this with `exec`: npm starts scripts through `sh -c`, and
// dash does not pass SIGTERM on to its child, so without exec a SIGTERM to
// `npm start` killed the shell and left this process and the server running.
// Here SIGINT/SIGTERM go on to the server, which shuts down gracefully.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';
import { ensureRedis } from './ensure-redis.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await setup();
try {
  await ensureRedis();
} catch (err) {
  process.stderr.write(`[start] ${err.message}\n`);
  process.exit(1);
}
const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'codeintel.mjs'), 'serve', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
