import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { z, ZodTypeAny } from 'zod';
import { exists, writeFileAtomic } from './atomicWrite.js';
import { parseArtifact } from './parseArtifact.js';
import { ArtifactMissingError } from '../errors/artifactMissingError.js';

/**
 * Where payloads live so that Redis only carries references: staged chunk
 * batches, dense vectors and sparse terms, keyed by a relative path such as
 * `runs/<runId>/b00003.dense.f32`. A directory under DATA_DIR by default; an
 * S3-compatible adapter can implement the same port when workers span hosts.
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
      // header: [count u32, dim u32] then row-major float32
      const dim = rows[0]?.length ?? 0;
      const buf = Buffer.alloc(8 + rows.length * dim * 4);
      buf.writeUInt32LE(rows.length, 0);
      buf.writeUInt32LE(dim, 4);
      const body = new Float32Array(buf.buffer, buf.byteOffset + 8, rows.length * dim);
      rows.forEach((row, i) => {
        if (row.length !== dim) throw new Error(`vector ${i} has ${row.length} values, expected ${dim}`);
        body.set(row, i * dim);
      });
      await writeFileAtomic(resolve(key), buf, { durable: false });
    },
    async getVectors(key) {
      const buf = await read(key);
      const count = buf.readUInt32LE(0);
      const dim = buf.readUInt32LE(4);
      // copy into an aligned buffer: Buffer offsets are not always 4-byte aligned
      const body = new Float32Array(count * dim);
      new Uint8Array(body.buffer).set(buf.subarray(8, 8 + count * dim * 4));
      return Array.from({ length: count }, (_, i) => body.subarray(i * dim, (i + 1) * dim));
    },
    async has(key) {
      return exists(resolve(key));
    },
    async removePrefix(prefix) {
      await fs.rm(resolve(prefix), { recursive: true, force: true });
    },
  };
}
