import type { z, ZodTypeAny } from 'zod';
import { ArtifactCorruptError } from '../errors/artifactCorruptError.js';

/** Parse a JSON artifact's text and check it against its schema: a torn or foreign file fails clearly, never as a cast. */
export function parseArtifact<S extends ZodTypeAny>(key: string, text: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ArtifactCorruptError(key, `not JSON (${(err as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ArtifactCorruptError(key, parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
