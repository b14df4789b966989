#!/usr/bin/env node
// Installs what codeintel needs on a Debian/Ubuntu machine with Node 20, and
// nothing when nothing changed:
//   1. Debian packages libfaiss-dev, libopenblas-dev, redis-server (as root:
//      apt-get; otherwise prints the exact command and stops)
//   2. npm packages (when package-lock.json changed since the last install)
//   3. the native FAISS addon (when its sources changed)
// Runs on plain Node: no npm package may be imported here.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg) => process.stderr.write(`[setup] ${msg}\n`);

function fail(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
  process.exit(1);
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20) fail(`Node ${process.versions.node} is too old: codeintel needs Node 20 or newer`);
}

const DEBIAN_NEEDS = [
  { pkg: 'libfaiss-dev', present: () => existsSync('/usr/include/faiss/Index.h') },
  {
    pkg: 'libopenblas-dev',
    present: () =>
      ['/usr/lib/x86_64-linux-gnu/libopenblas.so', '/usr/lib/aarch64-linux-gnu/libopenblas.so', '/usr/lib/libopenblas.so'].some(existsSync),
  },
  { pkg: 'redis-server', present: () => spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0 },
];

function ensureDebianPackages() {
  const missing = DEBIAN_NEEDS.filter((n) => !n.present()).map((n) => n.pkg);
  if (!missing.length) return;
  const install = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    fail(`missing system packages: ${missing.join(', ')}. Run as root:\n\n  sudo sh -c '${install}'\n\nthen run this command again.`);
  }
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
    fail(`missing system packages ${missing.join(', ')} and no apt-get here: install FAISS (with headers), OpenBLAS and redis-server with your package manager`);
  }
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...missing]]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.status !== 0) fail(`apt-get ${args.join(' ')} failed (exit ${r.status})`);
  }
}

const STAMP = path.join(ROOT, 'node_modules', '.codeintel-install.sha256');
const lockHash = () => createHash('sha256').update(readFileSync(path.join(ROOT, 'package-lock.json'))).update(readFileSync(path.join(ROOT, 'package.json'))).digest('hex');

function ensureNpmPackages() {
  const want = lockHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === want) return;
  log('installing npm packages');
  // install scripts stay off (.npmrc ignore-scripts): onnxruntime's CUDA download
  // cannot work here, and the FAISS addon is built below instead. tree-sitter needs
  // no build: its runtime and grammars are WebAssembly (web-tree-sitter).
  // `npm install` rather than `npm ci`: npm 11 leaves other platforms' optional
  // packages out of the lock file, which `npm ci` then rejects.
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) fail(`npm install failed (exit ${r.status})`);
  writeFileSync(STAMP, `${lockHash()}\n`);
}

async function buildNativeAddon() {
  const { buildNative } = await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-native.mjs')).href);
  await buildNative({ log: (m) => log(m) });
}

export async function setup() {
  const t0 = Date.now();
  checkNode();
  ensureDebianPackages();
  ensureNpmPackages();
  await buildNativeAddon();
  log(`ready (${Date.now() - t0} ms)`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  setup().catch((err) => fail(err?.message ?? String(err)));
}
