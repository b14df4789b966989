import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalFileCache } from '../../src/artifacts/fileCache.js';
import { createObjectArtifactStore } from '../../src/artifacts/objectArtifactStore.js';
import type { ObjectStore } from '../../src/artifacts/objectStore.js';
import { artifactKeys, stagedChunksSchema } from '../../src/contracts/artifacts.js';
import { ArtifactMissingError } from '../../src/errors/artifactMissingError.js';
import { FencedOutError } from '../../src/errors/fencedOutError.js';
import { UnavailableError } from '../../src/errors/unavailableError.js';
import { createS3ObjectStore } from '../../src/artifacts/s3ObjectStore.js';
import { S3Client } from '@aws-sdk/client-s3';
import { collectGarbage } from '../../src/manifest/gc.js';
import type { Manifest, VectorIndexRef } from '../../src/manifest/manifest.js';
import { ObjectManifestStore } from '../../src/manifest/objectManifestStore.js';
import { createRedisManifestPointer } from '../../src/manifest/pointer.js';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import type { Embedder } from '../../src/embedding/port.js';
import { createContractCheck } from '../../src/retrieval/embeddingContractCheck.js';
import { testContract, testManifest } from '../support/contract.js';
import { s3rverClient, startS3, type TestS3 } from '../support/s3Server.js';
import { REDIS_URL, dropPrefix } from '../support/stack.js';

const MIN = 60_000;

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(() => s3.close());

describe('staged artifacts on S3 (s3rver)', () => {
  let objects: ObjectStore;
  beforeEach(async () => {
    objects = s3.objectStore(await s3.bucket());
  });

  it('puts and gets JSON and vectors, and says what it has', async () => {
    const store = createObjectArtifactStore(objects);
    const staged = { fileChunks: { 'a.ts': ['x'] }, batchSizes: [1], batchIds: [['x']], reused: 0 };
    await store.putJson(artifactKeys.staged('run1'), staged);
    await store.putVectors(artifactKeys.dense('run1', 0), [Float32Array.of(1, 2, 3), Float32Array.of(4, 5, 6)]);
    expect(await store.getJson(artifactKeys.staged('run1'), stagedChunksSchema)).toEqual(staged);
    expect((await store.getVectors(artifactKeys.dense('run1', 0))).map((v) => Array.from(v))).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(await store.has(artifactKeys.staged('run1'))).toBe(true);
    expect(await store.has(artifactKeys.staged('run2'))).toBe(false);
    await expect(store.getJson(artifactKeys.staged('run2'), stagedChunksSchema)).rejects.toBeInstanceOf(ArtifactMissingError);
  });

  it('uploads a large file as a multipart upload and downloads it whole', async () => {
    const bucket = await s3.bucket();
    const client = s3rverClient(s3.endpoint);
    const sent: string[] = [];
    client.middlewareStack.add((next, context) => (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    }, { step: 'initialize' });
    const store = createS3ObjectStore({ bucket, prefix: 'p', endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true }, client, {
      multipartAboveBytes: 1024 ** 2,
      partBytes: 5 * 1024 ** 2,
    });
    const dir = await makeTmpDir('codeintel-multipart-');
    try {
      const big = Buffer.alloc(11 * 1024 ** 2);
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32LE(i, i);
      await fs.writeFile(path.join(dir, 'big.index'), big);
      await store.upload('repos/r/faiss/big.index', path.join(dir, 'big.index'));
      expect(await store.download('repos/r/faiss/big.index', path.join(dir, 'back.index'))).toBe(true);
      expect((await fs.readFile(path.join(dir, 'back.index'))).equals(big)).toBe(true);
      // 11 MiB in 5 MiB parts: three parts
      expect(sent.filter((c) => c !== 'GetObjectCommand')).toEqual([
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
      ]);
    } finally {
      await removeDir(dir);
    }
  });

  it('removes a run prefix and nothing of a run whose id merely starts the same', async () => {
    const store = createObjectArtifactStore(objects);
    await store.putJson(artifactKeys.staged('r1'), { a: 1 });
    await store.putJson(artifactKeys.plan('r1'), { a: 1 });
    await store.putJson(artifactKeys.staged('r10'), { a: 1 });
    await store.removePrefix(artifactKeys.run('r1'));
    expect(await store.has(artifactKeys.staged('r1'))).toBe(false);
    expect(await store.has(artifactKeys.plan('r1'))).toBe(false);
    expect(await store.has(artifactKeys.staged('r10'))).toBe(true);
    expect((await objects.list('artifacts/')).map((o) => o.key)).toEqual([`artifacts/${artifactKeys.staged('r10')}`]);
  });
});

describe('an S3 endpoint that does not answer', () => {
  it('fails each call with UnavailableError naming the store and the operation (retried by jobs, 503 at the API)', async () => {
    const dead = createS3ObjectStore({ bucket: 'nobucket', prefix: 'p', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true }, deadClient());
    const err = await dead.get('repos/r/CURRENT').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/^GET repos\/r\/CURRENT in s3:\/\/nobucket\/p failed: /);
  });
});

function deadClient() {
  return new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
}

function ref(file: string): VectorIndexRef {
  return { file: `faiss/${file}.index`, idsFile: `faiss/${file}.ids.json`, type: 'Flat', dim: 4, metric: 'ip', count: 1, builtAt: '', trainedOn: 0 };
}

function manifest(version: number, over: Partial<Manifest>): Manifest {
  return testManifest({ repo: 'r', version, source: { kind: 'local', location: '/x', root: '/x' }, createdAt: new Date().toISOString(), embedding: testContract({ model: 'm' }), ...over });
}

describe('committed data on S3: immutable objects, the pointer swapped by compare-and-set in Redis', () => {
  let redis: Redis;
  let prefix: string;
  let objects: ObjectStore;
  let dirs: string[];

  /** A process's view of the store: its own (empty) DATA_DIR and cache, the shared bucket and Redis. */
  async function storeOnHost(): Promise<ObjectManifestStore> {
    const dataDir = await makeTmpDir('codeintel-s3host-');
    dirs.push(dataDir);
    const cacheDir = path.join(dataDir, 'cache');
    const cache = new LocalFileCache({ dir: cacheDir, maxBytes: 64 * 1024 ** 2, fetch: (k, f) => objects.download(k, f) });
    return new ObjectManifestStore({ objects, pointer: createRedisManifestPointer(redis, prefix), cache, cacheDir });
  }
  /** Write a file where a writer on that host builds it (the repo's working directory). */
  async function build(store: ObjectManifestStore, name: string, body = name) {
    const file = path.join(store.repoDir('r'), name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, body);
  }

  beforeEach(async () => {
    redis = new Redis(REDIS_URL);
    prefix = `citest-${randomBytes(4).toString('hex')}`;
    objects = s3.objectStore(await s3.bucket());
    dirs = [];
  });
  afterEach(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
    await Promise.all(dirs.map(removeDir));
  });

  it('a commit uploads the files its manifest names; a reader on another host gets them as local files', async () => {
    const writer = await storeOnHost();
    const reader = await storeOnHost();
    const m = manifest(await writer.nextVersion('r'), { parts: ['parts/p1.parquet'], vectors: { primary: ref('primary-v1'), secondary: null }, previousVersion: null });
    for (const f of ['parts/p1.parquet', 'faiss/primary-v1.index', 'faiss/primary-v1.ids.json']) await build(writer, f);
    expect(await reader.currentVersion('r')).toBeNull();
    await writer.commit(m);
    expect(await reader.currentVersion('r')).toBe(1);
    expect(await reader.listRepos()).toEqual(['r']);
    const [local] = await reader.materialize('r', ['faiss/primary-v1.index']);
    expect(local).toBe(path.join(reader.repoDir('r'), 'faiss/primary-v1.index'));
    expect(await fs.readFile(local, 'utf8')).toBe('faiss/primary-v1.index');
  });

  it('refuses a manifest naming a file that is neither in the bucket nor local, and the pointer stays', async () => {
    const writer = await storeOnHost();
    await expect(writer.commit(manifest(1, { parts: ['parts/lost.parquet'], previousVersion: null }))).rejects.toThrow(/parts\/lost\.parquet, named by manifest v1 of r, is neither in s3:\/\//);
    expect(await writer.currentVersion('r')).toBeNull();
  });

  it('of two commits planned on the same version, one wins and the other is told the version moved', async () => {
    const a = await storeOnHost();
    const b = await storeOnHost();
    await a.commit(manifest(await a.nextVersion('r'), { previousVersion: null }));
    const [va, vb] = [await a.nextVersion('r'), await b.nextVersion('r')];
    expect(va).not.toBe(vb); // Redis hands out each number once
    const results = await Promise.allSettled([a.commit(manifest(va, { previousVersion: 1 })), b.commit(manifest(vb, { previousVersion: 1 }))]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(FencedOutError);
    expect(lost[0].message).toMatch(/the current version is \d+, not 1 this commit was planned on/);
    expect([va, vb]).toContain(await a.currentVersion('r'));
  });

  it('refuses a writer whose fence is older than one already committed', async () => {
    const store = await storeOnHost();
    await store.commit(manifest(await store.nextVersion('r'), { previousVersion: null }), { fence: 5 });
    const err = await store.commit(manifest(await store.nextVersion('r'), { previousVersion: 1 }), { fence: 4 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(FencedOutError);
    expect((err as Error).message).toMatch(/newer lease \(fence 5\)/);
    expect(await store.currentVersion('r')).toBe(1);
  });

  it('the readiness contract check reads the dimensions the manifest records and downloads nothing', async () => {
    const store = await storeOnHost();
    for (const f of ['faiss/primary-v1.index', 'faiss/primary-v1.ids.json']) await build(store, f);
    await store.commit(manifest(1, { vectors: { primary: { ...ref('primary-v1'), dim: 8 }, secondary: null }, previousVersion: null }));
    const reader = await storeOnHost();
    const embedder = { embedQuery: async () => new Float32Array(4) } as unknown as Embedder;
    const check = createContractCheck({ manifests: reader, embedder: async () => embedder, duckdb: () => Promise.reject(new Error('not needed')) });
    const result = await check();
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/repo r v1: the embedder gives 4-d vectors, the FAISS index holds 8-d \(faiss\/primary-v1\.index\)/);
    await expect(fs.readdir(path.join(reader.repoDir('r'), 'faiss'))).rejects.toThrow(/ENOENT/);
  });

  it('recovers the pointer from the bucket when Redis lost it', async () => {
    const store = await storeOnHost();
    await store.commit(manifest(await store.nextVersion('r'), { previousVersion: null }));
    await store.commit(manifest(await store.nextVersion('r'), { previousVersion: 1 }));
    await dropPrefix(prefix);
    expect(await store.currentVersion('r')).toBe(2);
    // and the next version number is above every one in the bucket
    expect(await store.nextVersion('r')).toBe(3);
  });

  it('garbage collection deletes superseded versions and the objects only they named, never the current ones', async () => {
    const store = await storeOnHost();
    const old = (ago: number) => new Date(Date.now() - ago).toISOString();
    const commit = async (m: Manifest) => {
      for (const f of [...m.parts, ...[m.vectors.primary, m.vectors.secondary].flatMap((r) => (r ? [r.file, r.idsFile] : []))]) {
        if (!(await store.hasFile('r', f))) await build(store, f);
      }
      await store.commit(m);
    };
    // v1 (full) → v2 (compaction) → v3 (incremental on v2), each superseded longer than the grace ago
    await commit(manifest(1, { parts: ['parts/p1.parquet'], vectors: { primary: ref('primary-v1'), secondary: null }, previousVersion: null, createdAt: old(120 * MIN) }));
    await commit(manifest(2, { parts: ['parts/c2.parquet'], vectors: { primary: ref('primary-v2'), secondary: null }, previousVersion: 1, createdAt: old(90 * MIN) }));
    await commit(
      manifest(3, { parts: ['parts/c2.parquet', 'parts/p3.parquet'], vectors: { primary: ref('primary-v2'), secondary: ref('secondary-v3') }, previousVersion: 2, createdAt: old(60 * MIN) }),
    );
    // a part a run still encoding has written, which no manifest names yet
    await build(store, 'parts/in-flight.parquet');
    await store.publish('r', 'parts/in-flight.parquet');

    const result = await collectGarbage(store, 'r', { graceMs: 30 * MIN });
    expect(result).toMatchObject({ current: 3, kept: [3], removedVersions: [1, 2] });
    expect(result.removedFiles.sort()).toEqual(['faiss/primary-v1.ids.json', 'faiss/primary-v1.index', 'parts/p1.parquet']);
    const left = (await objects.list('repos/r/')).map((o) => o.key.slice('repos/r/'.length)).sort();
    expect(left).toEqual([
      'CURRENT',
      'faiss/primary-v2.ids.json',
      'faiss/primary-v2.index',
      'faiss/secondary-v3.ids.json',
      'faiss/secondary-v3.index',
      'manifest-v3.json',
      'parts/c2.parquet',
      'parts/in-flight.parquet',
      'parts/p3.parquet',
    ]);
  });
});
