import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { UnavailableError } from '../errors/unavailableError.js';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectStore, StoredObject } from './objectStore.js';

export interface S3Location {
  bucket: string;
  /** key prefix inside the bucket, no leading or trailing slash ('' = bucket root) */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
}

/**
 * An ObjectStore on any S3-compatible service through @aws-sdk/client-s3. Credentials come from
 * the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, ...).
 * Checksums are computed only where the API requires them: the newer default (CRC32 trailers
 * in aws-chunked bodies) is not decoded by every S3-compatible server (s3rver stores the chunk
 * framing inside the object).
 */
export interface S3UploadOptions {
  /** files larger than this go up as a multipart upload (default 64 MiB; one PUT takes at most 5 GB) */
  multipartAboveBytes?: number;
  /** the part size of a multipart upload (default 16 MiB, raised so a file needs at most 9,000 parts; at least 5 MiB) */
  partBytes?: number;
}

export function createS3ObjectStore(loc: S3Location, client?: S3Client, uploads: S3UploadOptions = {}): ObjectStore {
  const s3 =
    client ??
    new S3Client({
      region: loc.region,
      ...(loc.endpoint ? { endpoint: loc.endpoint } : {}),
      forcePathStyle: loc.forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  const Bucket = loc.bucket;
  const base = loc.prefix ? `${loc.prefix}/` : '';
  const full = (key: string) => {
    if (key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.')) throw new Error(`object key escapes the store: ${key}`);
    return base + key;
  };
  const relative = (key: string) => key.slice(base.length);

  async function getBody(key: string) {
    try {
      const res = await s3.send(new GetObjectCommand({ Bucket, Key: full(key) }));
      return res.Body ?? null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  const location = `s3://${Bucket}/${loc.prefix}`;
  /** An S3 failure as a domain error naming the store: retried by jobs, a 503 at the API, never a bare SDK error. */
  const guard = async <T>(op: string, key: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
      throw new UnavailableError('object-store-unavailable', `${op} ${key} in ${location} failed: ${e.name ?? 'Error'}${status}: ${e.message ?? String(err)}`, { store: location }, { cause: err });
    }
  };
  const store: ObjectStore = {
    location,
    async get(key) {
      const body = await getBody(key);
      return body ? Buffer.from(await body.transformToByteArray()) : null;
    },
    async put(key, body) {
      await s3.send(new PutObjectCommand({ Bucket, Key: full(key), Body: typeof body === 'string' ? Buffer.from(body) : body }));
    },
    async upload(key, file) {
      const { size } = await fs.stat(file);
      if (size <= (uploads.multipartAboveBytes ?? 64 * 1024 ** 2)) {
        await s3.send(new PutObjectCommand({ Bucket, Key: full(key), Body: createReadStream(file), ContentLength: size }));
        return;
      }
      // a 1M-chunk flat FAISS file of 4096-d vectors is 16 GB: past what one PUT takes
      const partSize = Math.max(uploads.partBytes ?? 16 * 1024 ** 2, Math.ceil(size / 9000), 5 * 1024 ** 2);
      await new Upload({ client: s3, params: { Bucket, Key: full(key), Body: createReadStream(file) }, partSize, queueSize: 4 }).done();
    },
    async download(key, file) {
      const body = await getBody(key);
      if (!body) return false;
      await fs.mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        await pipeline(body as Readable, createWriteStream(tmp));
        await fs.rename(tmp, file);
      } catch (err) {
        await fs.rm(tmp, { force: true });
        throw err;
      }
      return true;
    },
    async has(key) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket, Key: full(key) }));
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
    async list(prefix) {
      const out: StoredObject[] = [];
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket, Prefix: full(prefix) })) {
        for (const o of page.Contents ?? []) {
          if (o.Key) out.push({ key: relative(o.Key), size: o.Size ?? 0, modifiedMs: o.LastModified?.getTime() ?? Date.now() });
        }
      }
      return out;
    },
    async listChildren(prefix) {
      const out: string[] = [];
      const at = full(prefix);
      for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket, Prefix: at, Delimiter: '/' })) {
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix.slice(at.length).replace(/\/$/, ''));
      }
      return out.sort();
    },
    async delete(keys) {
      // DeleteObjects takes at most 1000 keys
      for (let i = 0; i < keys.length; i += 1000) {
        const res = await s3.send(
          new DeleteObjectsCommand({ Bucket, Delete: { Objects: keys.slice(i, i + 1000).map((k) => ({ Key: full(k) })), Quiet: true } }),
        );
        const failed = res.Errors ?? [];
        if (failed.length) throw new UnavailableError('object-store-unavailable', `could not delete ${failed.length} objects from ${Bucket} (first: ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message})`);
      }
    },
  };
  return {
    location,
    get: (key) => guard('GET', key, () => store.get(key)),
    put: (key, body) => guard('PUT', key, () => store.put(key, body)),
    upload: (key, file) => guard('PUT', key, () => store.upload(key, file)),
    download: (key, file) => guard('GET', key, () => store.download(key, file)),
    has: (key) => guard('HEAD', key, () => store.has(key)),
    list: (prefix) => guard('LIST', `${prefix}*`, () => store.list(prefix)),
    listChildren: (prefix) => guard('LIST', `${prefix}*`, () => store.listChildren(prefix)),
    delete: (keys) => guard('DELETE', `${keys.length} keys`, () => store.delete(keys)),
  };
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
