#!/usr/bin/env node
// Makes sure something answers PING on REDIS_URL. When nothing does and the
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

/** Send PING (with AUTH when the URL has a password) and wait for +PONG. */
export function ping(url, timeoutMs = 1000) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port || 6379) });
    let buffer = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const password = decodeURIComponent(u.password || '');
      const user = decodeURIComponent(u.username || '');
      if (password) socket.write(user ? `AUTH ${user} ${password}\r\n` : `AUTH ${password}\r\n`);
      socket.write('PING\r\n');
    });
    socket.on('data', (d) => {
      buffer += d.toString();
      if (buffer.includes('+PONG')) done(true);
      else if (buffer.includes('-NOAUTH') || buffer.includes('-WRONGPASS')) done(false);
    });
  });
}

const isLocal = (host) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) || host.startsWith('127.');

export async function ensureRedis(env = process.env) {
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
