#!/usr/bin/env node
// Container health check for codeintel processes (docker-compose.gpu.yml).
// Plain Node, no packages. Every given check must pass; exit 0 or 1 with the reason.
//
//   --http <url>          GET answers 200                       (API: /healthz)
//   --redis               REDIS_URL (or the Sentinels' primary) answers PING (every role)
//   --heartbeat <file>    file touched within --max-age seconds (worker roles: HEARTBEAT_FILE)
//   --gpu                 nvidia-smi lists at least one GPU     (GPU workers)
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { redisReachable } from './ensure-redis.mjs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? '') : undefined;
};
const has = (name) => args.includes(name);
const failures = [];

const url = opt('--http');
if (url !== undefined) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
    if (res.status !== 200) failures.push(`${url} answered ${res.status}`);
  } catch (err) {
    failures.push(`${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
  }
}

if (has('--redis')) {
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const where = process.env.REDIS_SENTINELS ? `the primary the Sentinels (${process.env.REDIS_SENTINELS}) name` : redisUrl.replace(/\/\/[^@]*@/, '//***@');
  if (!(await redisReachable(process.env, 3000))) failures.push(`Redis at ${where} does not answer PING`);
}

const heartbeat = opt('--heartbeat') ?? (has('--heartbeat') ? process.env.HEARTBEAT_FILE : undefined);
if (heartbeat !== undefined) {
  const maxAge = Number(opt('--max-age') ?? 60);
  try {
    const age = (Date.now() - statSync(heartbeat).mtimeMs) / 1000;
    if (age > maxAge) failures.push(`heartbeat ${heartbeat} is ${age.toFixed(0)} s old (max ${maxAge} s): the event loop is stuck`);
  } catch {
    failures.push(`no heartbeat file ${heartbeat} (HEARTBEAT_FILE): the worker has not started`);
  }
}

if (has('--gpu')) {
  const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || !/GPU \d+/.test(r.stdout ?? '')) failures.push(`nvidia-smi lists no GPU: ${(r.stderr || r.error?.message || r.stdout || '').trim()}`);
}

if (failures.length) {
  process.stderr.write(`unhealthy: ${failures.join('; ')}\n`);
  process.exit(1);
}
process.stdout.write('healthy\n');
