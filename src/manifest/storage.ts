import { createHash } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { LocalFileCache } from '../artifacts/fileCache.js';
import { createObjectArtifactStore } from '../artifacts/objectArtifactStore.js';
import type { ObjectStore } from '../artifacts/objectStore.js';
import { createDirectoryArtifactStore, type ArtifactStore } from '../artifacts/store.js';
import { readOrCreateStoreId } from '../artifacts/storeIdentity.js';
import type { Config } from '../config/index.js';
import { ObjectManifestStore } from './objectManifestStore.js';
import { createRedisManifestPointer } from './pointer.js';
import { DirectoryManifestStore, type ManifestStore } from './store.js';

export interface Storage {
  artifacts: ArtifactStore;
  manifests: ManifestStore;
  /** names the store, so jobs of another deployment sharing the Redis prefix are recognised */
  storeId(): Promise<string>;
  /** for messages: the directory or `s3://bucket/prefix` */
  location: string;
  /** throws when the store cannot be reached (readiness) */
  probe(): Promise<void>;
}

/**
 * STORAGE_URL unset: everything in DATA_DIR, as on a laptop. `s3://bucket/prefix`: staged
 * artifacts and committed data in the bucket, the manifest pointer in Redis, and a bounded
 * cache of committed files under DATA_DIR/cache; DATA_DIR itself may differ per host.
 */
export function createStorage(config: Config, redis: Redis): Storage {
  const loc = config.storage;
  if (loc.kind === 'directory') {
    return {
      artifacts: createDirectoryArtifactStore(path.join(config.dataDir, 'artifacts')),
      manifests: new DirectoryManifestStore(config.dataDir),
      storeId: () => readOrCreateStoreId(config.dataDir),
      location: config.dataDir,
      probe: async () => {
        await fs.mkdir(config.dataDir, { recursive: true });
        await fs.access(config.dataDir, fsConstants.W_OK);
      },
    };
  }
  const objects = lazyS3(loc);
  const cacheDir = path.join(config.dataDir, 'cache');
  const cache = new LocalFileCache({ dir: cacheDir, maxBytes: config.cacheMaxBytes, fetch: (key, file) => objects.download(key, file) });
  // the same bucket and prefix is the same store on every host: no id file to share. Not the
  // endpoint: hosts may reach one service under different names
  const id = `store-s3-${createHash('sha256').update(`${loc.bucket}/${loc.prefix}`).digest('hex').slice(0, 16)}`;
  return {
    artifacts: createObjectArtifactStore(objects),
    manifests: new ObjectManifestStore({ objects, pointer: createRedisManifestPointer(redis, config.redisPrefix), cache, cacheDir }),
    storeId: async () => id,
    location: objects.location,
    // a HEAD of a key that need not exist: 404 means the bucket answered
    probe: async () => void (await objects.has('store-probe')),
  };
}

/** The S3 client loaded on first use: a process on the directory backend never loads the AWS SDK. */
function lazyS3(loc: Extract<Config['storage'], { kind: 's3' }>): ObjectStore {
  let store: Promise<ObjectStore> | null = null;
  const get = () => (store ??= import('../artifacts/s3ObjectStore.js').then((m) => m.createS3ObjectStore(loc)));
  return {
    location: `s3://${loc.bucket}/${loc.prefix}`,
    get: async (key) => (await get()).get(key),
    put: async (key, body) => (await get()).put(key, body),
    upload: async (key, file) => (await get()).upload(key, file),
    download: async (key, file) => (await get()).download(key, file),
    has: async (key) => (await get()).has(key),
    list: async (prefix) => (await get()).list(prefix),
    listChildren: async (prefix) => (await get()).listChildren(prefix),
    delete: async (keys) => (await get()).delete(keys),
  };
}
