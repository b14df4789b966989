import { z } from 'zod';
import { bool, directory, httpUrl, int, optionalText, text } from './parsers.js';

/** Where committed data and staged artifacts live: the directory under DATA_DIR, or an S3-compatible bucket. */
export type StorageLocation =
  | { kind: 'directory' }
  | {
      kind: 's3';
      bucket: string;
      /** key prefix inside the bucket, without leading or trailing slashes ('' for the bucket root) */
      prefix: string;
      /** a non-AWS endpoint (MinIO, Ceph RGW, R2, s3rver); undefined: the SDK's AWS endpoint for the region */
      endpoint?: string;
      region: string;
      /** bucket in the path, not the host name: what MinIO and s3rver expect */
      forcePathStyle: boolean;
    };

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/prefix` (or unset / `file:` for the directory backend). */
const storageUrl = () =>
  optionalText().transform((v, ctx): { kind: 'directory' } | { kind: 's3'; bucket: string; prefix: string } => {
    if (v === undefined || v === 'file:' || v === 'file://') return { kind: 'directory' };
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(v.trim());
    if (!m) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected s3://bucket/prefix (or unset for the directory under DATA_DIR)' });
      return z.NEVER;
    }
    if (!BUCKET.test(m[1])) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${m[1]}" is not a valid S3 bucket name (3-63 lower-case letters, digits, "." or "-")` });
      return z.NEVER;
    }
    const prefix = m[2].replace(/^\/+|\/+$/g, '');
    if (prefix.split('/').some((s) => s === '.' || s === '..')) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'the prefix must not contain "." or ".." segments' });
      return z.NEVER;
    }
    return { kind: 's3', bucket: m[1], prefix };
  });

/**
 * The data directory (always local: clones, traces, the file cache, and everything for the
 * directory backend) and where committed data lives. Credentials are not settings here: the
 * AWS SDK's default chain reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, IRSA, ...
 */
export const storageSection = z
  .object({
    DATA_DIR: directory('.data'),
    STORAGE_URL: storageUrl(),
    S3_ENDPOINT: httpUrl(),
    AWS_ENDPOINT_URL_S3: httpUrl(),
    AWS_REGION: text('us-east-1'),
    S3_FORCE_PATH_STYLE: bool(false),
    CACHE_MAX_BYTES: int(10 * 1024 ** 3, 1024 ** 2),
  })
  .transform((e) => ({
    dataDir: e.DATA_DIR,
    storage: (e.STORAGE_URL.kind === 'directory'
      ? { kind: 'directory' }
      : {
          ...e.STORAGE_URL,
          endpoint: e.S3_ENDPOINT ?? e.AWS_ENDPOINT_URL_S3,
          region: e.AWS_REGION,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }) as StorageLocation,
    /** local copies of committed files a process reads (S3 backend): evicted least recently used past this */
    cacheMaxBytes: e.CACHE_MAX_BYTES,
  }));
