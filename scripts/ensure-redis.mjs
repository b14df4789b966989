#!/usr/bin/env node
// Makes sure something answers PING on REDIS_URL (under REDIS_SENTINELS: on the primary the
// Sentinels name; then nothing is ever started here). When nothing does and the
// URL points at this machine, starts a local redis-server under DATA_DIR
// (AOF on, maxmemory-policy noeviction, as BullMQ wants) and waits for it.
// Plain Node only: runs before anything else is known to be installed.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => process.stderr.write(`[redis] ${msg}\n`);

/** Send `lines` as inline commands; the reply's raw text once `done(text)` says it is complete, null on error or timeout. */
function ask(host, port, lines, done, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    const finish = (v) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.on('error', () => finish(null));
    socket.on('connect', () => socket.write(lines.map((l) => `${l}\r\n`).join('')));
    socket.on('data', (d) => {
      buffer += d.toString();
      if (done(buffer)) finish(buffer);
    });
  });
}

/** Send PING (with AUTH when the URL has a password) and wait for +PONG. */
export async function ping(url, timeoutMs = 1000) {
  const u = new URL(url);
  const password = decodeURIComponent(u.password || '');
  const user = decodeURIComponent(u.username || '');
  const auth = password ? [user ? `AUTH ${user} ${password}` : `AUTH ${password}`] : [];
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const reply = await ask(host, Number(u.port || 6379), [...auth, 'PING'], (b) => b.includes('+PONG') || b.includes('-NOAUTH') || b.includes('-WRONGPASS'), timeoutMs);
  return reply !== null && reply.includes('+PONG');
}

/** Parse REDIS_SENTINELS ("host:port,[::1]:26379"); [] when unset. */
export function sentinelsOf(env = process.env) {
  return (env.REDIS_SENTINELS || '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(s);
      if (!m) throw new Error(`REDIS_SENTINELS: "${s}" is not host:port`);
      return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    });
}

/** The primary's address as the first Sentinel that knows it says, or null. */
export async function sentinelPrimary(env = process.env, timeoutMs = 1000) {
  const name = env.REDIS_SENTINEL_MASTER || 'mymaster';
  const auth = env.REDIS_SENTINEL_PASSWORD ? [`AUTH ${env.REDIS_SENTINEL_PASSWORD}`] : [];
  for (const s of sentinelsOf(env)) {
    // the reply is *2 $len host $len port, or *-1 when the Sentinel does not know the name
    const reply = await ask(s.host, s.port, [...auth, `SENTINEL get-master-addr-by-name ${name}`], (b) => /\*-1\r\n|\*2\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n\d+\r\n/.test(b) || b.startsWith('-'), timeoutMs);
    const m = reply && /\*2\r\n\$\d+\r\n([^\r]*)\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
    if (m) return { host: m[1], port: Number(m[2]) };
  }
  return null;
}

/** REDIS_URL with the primary's address in place of its host: what to PING under Sentinel. */
async function primaryUrl(env) {
  const primary = await sentinelPrimary(env);
  if (!primary) return null;
  const u = new URL(env.REDIS_URL || 'redis://127.0.0.1:6379');
  u.hostname = primary.host.includes(':') ? `[${primary.host}]` : primary.host;
  u.port = String(primary.port);
  return u.toString();
}

/** Does the configured Redis answer PING? Under REDIS_SENTINELS, the primary the Sentinels name. */
export async function redisReachable(env = process.env, timeoutMs = 1000) {
  if (sentinelsOf(env).length === 0) return ping(env.REDIS_URL || 'redis://127.0.0.1:6379', timeoutMs);
  const url = await primaryUrl(env);
  return url ? ping(url, timeoutMs) : false;
}

const isLocal = (host) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) || host.startsWith('127.');

export async function ensureRedis(env = process.env) {
  if (sentinelsOf(env).length > 0) {
    // a Sentinel group is a deployment's own Redis: find its primary, never start one here
    const name = env.REDIS_SENTINEL_MASTER || 'mymaster';
    const url = await primaryUrl(env);
    if (!url) throw new Error(`no Sentinel in REDIS_SENTINELS (${env.REDIS_SENTINELS}) names a primary "${name}" (REDIS_SENTINEL_MASTER)`);
    if (!(await ping(url))) throw new Error(`the Sentinels name ${new URL(url).host} as primary "${name}", but it does not answer PING`);
    return { url, started: false };
  }
  const url = env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (await ping(url)) return { url, started: false };
  const u = new URL(url);
  if (!isLocal(u.hostname)) {
    throw new Error(`nothing answers at ${url}; start that Redis server or point REDIS_URL at one that runs`);
  }
  const port = Number(u.port || 6379);
  const dir = path.resolve(env.DATA_DIR || path.join(ROOT, '.data'), 'redis');
  mkdirSync(dir, { recursive: true });
  log(`nothing answers at ${url}: starting redis-server on port ${port} in ${dir}`);
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--maxmemory-policy', 'noeviction',
    '--daemonize', 'yes',
    '--pidfile', path.join(dir, 'redis.pid'),
    '--logfile', path.join(dir, 'redis.log'),
  ];
  if (u.password) args.push('--requirepass', decodeURIComponent(u.password));
  const r = spawnSync('redis-server', args, { stdio: 'inherit' });
  if (r.error?.code === 'ENOENT') throw new Error('redis-server is not installed: run npm run setup (as root) or apt-get install redis-server');
  if (r.status !== 0) throw new Error(`redis-server exited with ${r.status}; see ${path.join(dir, 'redis.log')}`);
  for (let i = 0; i < 50; i++) {
    if (await ping(url)) {
      log(`redis-server is up (pid file ${path.join(dir, 'redis.pid')})`);
      return { url, started: true };
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`redis-server did not answer within 5 s; see ${path.join(dir, 'redis.log')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureRedis().catch((err) => {
    log(err.message);
    process.exit(1);
  });
}
