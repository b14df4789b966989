import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
// @ts-expect-error s3rver ships no type declarations
import S3rver from 's3rver';
import { makeTmpDir, removeDir } from '../fixtures/repoHelpers.js';
import { createS3ObjectStore } from '../../src/artifacts/s3ObjectStore.js';
import type { ObjectStore } from '../../src/artifacts/objectStore.js';

/** s3rver's fixed credentials: it checks request signatures against them. */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

export interface TestS3 {
  endpoint: string;
  /** a fresh bucket of its own */
  bucket(): Promise<string>;
  /** the environment that points codeintel at `s3://<bucket>/<prefix>` on this server */
  env(bucket: string, prefix?: string): Record<string, string>;
  objectStore(bucket: string, prefix?: string): ObjectStore;
  close(): Promise<void>;
}

/**
 * A real S3 REST server (s3rver, files in a temp dir) on a free port of 127.0.0.1, in this
 * process: signed requests, path-style buckets, ListObjectsV2, DeleteObjects, ranged GETs.
 */
export async function startS3(address = '127.0.0.1'): Promise<TestS3> {
  const directory = await makeTmpDir('codeintel-s3rver-');
  const server = new S3rver({ port: 0, address, silent: true, directory });
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://${address}:${port}`;
  const client = s3rverClient(endpoint);
  return {
    endpoint,
    async bucket() {
      const name = `citest-${randomBytes(5).toString('hex')}`;
      await client.send(new CreateBucketCommand({ Bucket: name }));
      return name;
    },
    env(bucket, prefix = 'codeintel') {
      return { STORAGE_URL: `s3://${bucket}/${prefix}`, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'us-east-1', ...S3RVER_CREDENTIALS };
    },
    objectStore(bucket, prefix = 'codeintel') {
      return createS3ObjectStore(
        { bucket, prefix, endpoint, region: 'us-east-1', forcePathStyle: true },
        s3rverClient(endpoint),
      );
    },
    async close() {
      client.destroy();
      await server.close();
      await removeDir(directory);
    },
  };
}

/** An S3 client for s3rver: path-style, its fixed credentials, checksums only where the protocol requires them. */
export function s3rverClient(endpoint: string): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: S3RVER_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
