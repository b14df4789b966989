import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z, ZodTypeAny } from 'zod';
import { exists, writeFileAtomic } from './atomicWrite.js';
import { parseArtifact } from './parseArtifact.js';
import { ArtifactMissingError } from '../errors/artifactMissingError.js';
import { decodeVectors, encodeVectors } from './vectorCodec.js';

/**
 * Where payloads live so that Redis only carries references: staged chunk
 * batches, dense vectors and sparse terms, keyed by a relative path such as
 * `runs/<runId>/b00003.dense.f32`. A directory under DATA_DIR by default; the
 * object-store adapter (objectArtifactStore.ts) serves workers on other hosts.
 * Writes are atomic but not fsynced: staged data is scratch. If a machine
 * crash loses some, the job that needs it fails naming the missing artifact,
 * and a new run of the repo recomputes it.
 */
export interface ArtifactStore {
  putJson(key: string, value: unknown): Promise<void>;
  /** Read a JSON artifact and validate it against its schema (ArtifactCorruptError when it does not match). */
  getJson<S extends ZodTypeAny>(key: string, schema: S): Promise<z.output<S>>;
  putVectors(key: string, rows: Float32Array[]): Promise<void>;
  getVectors(key: string): Promise<Float32Array[]>;
  has(key: string): Promise<boolean>;
  /** Remove every artifact under a prefix (e.g. a finished run). */
  removePrefix(prefix: string): Promise<void>;
}


export function createDirectoryArtifactStore(root: string): ArtifactStore {
  const resolve = (key: string) => {
    const full = path.resolve(root, key);
    if (!full.startsWith(path.resolve(root) + path.sep)) throw new Error(`artifact key escapes the store: ${key}`);
    return full;
  };
  const read = async (key: string) => {
    try {
      return await fs.readFile(resolve(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactMissingError(key);
      throw err;
    }
  };
  return {
    async putJson(key, value) {
      await writeFileAtomic(resolve(key), JSON.stringify(value), { durable: false });
    },
    async getJson(key, schema) {
      return parseArtifact(key, (await read(key)).toString('utf8'), schema);
    },
    async putVectors(key, rows) {
      await writeFileAtomic(resolve(key), encodeVectors(rows), { durable: false });
    },
    async getVectors(key) {
      return decodeVectors(await read(key));
    },
    async has(key) {
      return exists(resolve(key));
    },
    async removePrefix(prefix) {
      await fs.rm(resolve(prefix), { recursive: true, force: true });
    },
  };
}
