/** One object as a listing shows it. */
export interface StoredObject {
  /** the key relative to the store's prefix */
  key: string;
  size: number;
  modifiedMs: number;
}

/**
 * A flat key → bytes store with whole-object writes: what the S3 backend of the artifact and
 * committed-data stores is built on. Keys are relative, `/`-separated. A put replaces the
 * object whole (readers see the old bytes or the new, never part); nothing here is conditional:
 * commits get their atomicity from the manifest pointer (see manifest/pointer.ts).
 */
export interface ObjectStore {
  /** e.g. `s3://bucket/prefix`, for messages */
  readonly location: string;
  /** the object's bytes, or null when there is none */
  get(key: string): Promise<Buffer | null>;
  put(key: string, body: Buffer | string): Promise<void>;
  /** upload a local file (streamed: parts and FAISS files may be large) */
  upload(key: string, file: string): Promise<void>;
  /** write the object to a local file (temp, then rename); false when there is no such object */
  download(key: string, file: string): Promise<boolean>;
  has(key: string): Promise<boolean>;
  /** every object under a key prefix (e.g. `repos/app/`), all pages */
  list(prefix: string): Promise<StoredObject[]>;
  /** the next-level "directories" under a prefix (`repos/` → `['app', 'lib']`) */
  listChildren(prefix: string): Promise<string[]>;
  delete(keys: string[]): Promise<void>;
}
