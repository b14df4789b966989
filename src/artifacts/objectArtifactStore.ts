import { ArtifactMissingError } from '../errors/artifactMissingError.js';
import type { ObjectStore } from './objectStore.js';
import { parseArtifact } from './parseArtifact.js';
import type { ArtifactStore } from './store.js';
import { decodeVectors, encodeVectors } from './vectorCodec.js';

/**
 * The ArtifactStore on an object store (S3): staged batches and vectors under `artifacts/`,
 * so a gpu or sink worker on another host reads the batch it was given. Same keys and byte
 * layout as the directory adapter; each put is one whole-object write.
 */
export function createObjectArtifactStore(objects: ObjectStore, root = 'artifacts'): ArtifactStore {
  const keyOf = (key: string) => {
    if (key.startsWith('/') || key.split('/').some((s) => s === '..' || s === '.' || s === '')) throw new Error(`artifact key escapes the store: ${key}`);
    return `${root}/${key}`;
  };
  const read = async (key: string) => {
    const body = await objects.get(keyOf(key));
    if (!body) throw new ArtifactMissingError(key);
    return body;
  };
  return {
    async putJson(key, value) {
      await objects.put(keyOf(key), JSON.stringify(value));
    },
    async getJson(key, schema) {
      return parseArtifact(key, (await read(key)).toString('utf8'), schema);
    },
    async putVectors(key, rows) {
      await objects.put(keyOf(key), encodeVectors(rows));
    },
    async getVectors(key) {
      return decodeVectors(await read(key));
    },
    async has(key) {
      return objects.has(keyOf(key));
    },
    async removePrefix(prefix) {
      const under = keyOf(prefix.replace(/\/+$/, ''));
      // the prefix names a "directory": never remove runs/r1x when asked for runs/r1
      const doomed = (await objects.list(`${under}/`)).map((o) => o.key);
      if (await objects.has(under)) doomed.push(under);
      if (doomed.length) await objects.delete(doomed);
    },
  };
}
