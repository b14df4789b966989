#!/usr/bin/env node
// Builds the native FAISS addon (native/faiss) with node-gyp, but only when the
// .node file is missing or binding.gyp / faiss_addon.cc changed since the last
// build, so setup scripts and tests can call it on every run for free.
//
//   node scripts/build-native.mjs [--force]
//   import { buildNative } from './build-native.mjs'
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ADDON_DIR = path.join(ROOT, 'native', 'faiss');
const SOURCES = ['binding.gyp', 'faiss_addon.cc'];
const FAISS_HEADER = '/usr/include/faiss/Index.h';
const NODE_GYP = path.join(ROOT, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');

/** Absolute path of the compiled addon. */
export const ADDON_OUTPUT = path.join(ADDON_DIR, 'build', 'Release', 'codeintel_faiss.node');
/** sha256 of the sources that produced ADDON_OUTPUT; lives next to it, so a clean build dir forgets it. */
export const STAMP_FILE = `${ADDON_OUTPUT}.sha256`;

/** sha256 over the addon's sources (names included, so renames count as changes). */
export function sourceHash() {
  const h = createHash('sha256');
  for (const name of SOURCES) {
    h.update(`${name}\0`);
    h.update(readFileSync(path.join(ADDON_DIR, name)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Why a build is needed, or null when the output matches the sources. */
function staleReason(hash) {
  if (!existsSync(ADDON_OUTPUT)) return 'output missing';
  if (!existsSync(STAMP_FILE)) return 'no build stamp';
  if (readFileSync(STAMP_FILE, 'utf8').trim() !== hash) return 'sources changed';
  return null;
}

/**
 * Build the addon if needed.
 * @param {{ force?: boolean, log?: (line: string) => void, faissHeader?: string }} [options]
 *   faissHeader overrides the header probe (tests use it to simulate a missing libfaiss-dev).
 * @returns {Promise<{ action: 'built' | 'up-to-date', reason?: string, output: string, ms: number }>}
 */
export async function buildNative({ force = false, log = console.log, faissHeader = FAISS_HEADER } = {}) {
  const started = performance.now();
  const rel = path.relative(process.cwd(), ADDON_OUTPUT) || ADDON_OUTPUT;
  const hash = sourceHash();
  let reason = force ? 'forced' : staleReason(hash);
  if (reason === null) {
    log(`faiss addon: up to date (${rel})`);
    return { action: 'up-to-date', output: ADDON_OUTPUT, ms: performance.now() - started };
  }

  // Headers are only needed to compile; an already built addon runs without them.
  if (!existsSync(faissHeader)) {
    throw new Error(
      `FAISS headers not found (${faissHeader}); run: apt-get install libfaiss-dev libopenblas-dev`,
    );
  }
  if (!existsSync(NODE_GYP)) {
    throw new Error(`node-gyp not found at ${NODE_GYP}; run: npm install`);
  }

  const release = await acquireBuildLock();
  try {
    // Someone else may have finished the same build while we waited for the lock.
    if (!force) reason = staleReason(hash);
    if (reason === null) {
      log(`faiss addon: up to date (${rel}, built by a concurrent process)`);
      return { action: 'up-to-date', output: ADDON_OUTPUT, ms: performance.now() - started };
    }
    await runNodeGyp();
    if (!existsSync(ADDON_OUTPUT)) throw new Error(`node-gyp succeeded but ${ADDON_OUTPUT} is missing`);
    writeFileSync(STAMP_FILE, `${hash}\n`);
  } finally {
    release();
  }
  const ms = performance.now() - started;
  log(`faiss addon: built in ${(ms / 1000).toFixed(1)}s (${reason}) -> ${rel}`);
  return { action: 'built', reason, output: ADDON_OUTPUT, ms };
}

/** Runs `node-gyp rebuild`; output is kept quiet unless the build fails. */
function runNodeGyp() {
  const args = [NODE_GYP, 'rebuild', '--directory', ADDON_DIR];
  // Use the headers installed with this node binary so no download is attempted.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${prefix}`);

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const tail = Buffer.concat(chunks).toString('utf8').split('\n').slice(-60).join('\n');
      reject(new Error(`node-gyp rebuild failed (exit ${code}):\n${tail}`));
    });
  });
}

/**
 * Cross-process lock (atomic mkdir) so parallel test workers or setup runs do
 * not rebuild into the same directory at once. Returns the release function.
 */
async function acquireBuildLock({ timeoutMs = 10 * 60_000 } = {}) {
  const id = createHash('sha1').update(ADDON_DIR).digest('hex').slice(0, 12);
  const dir = path.join(os.tmpdir(), `codeintel-faiss-build-${id}.lock`);
  const owner = path.join(dir, 'pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    if (lockIsStale(dir, owner)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for build lock ${dir}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function lockIsStale(dir, owner) {
  let pid = NaN;
  try {
    pid = Number(readFileSync(owner, 'utf8'));
  } catch {
    // no pid file yet
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    // Owner has not written its pid yet, or died in between: give it a minute.
    try {
      return Date.now() - statSync(dir).mtimeMs > 60_000;
    } catch {
      return true;
    }
  }
  try {
    process.kill(pid, 0); // throws ESRCH when the owner is gone
    return false;
  } catch (err) {
    return err.code !== 'EPERM'; // EPERM: alive, owned by another user
  }
}

const invokedDirectly = process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url;
if (invokedDirectly) {
  buildNative({ force: process.argv.includes('--force') }).catch((err) => {
    console.error(`build-native: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
