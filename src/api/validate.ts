import type { z } from 'zod';
import { ProblemError } from './problem.js';

/** Parse a request body with a zod schema; any issue becomes one 400 problem listing every field. */
export function parseBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ProblemError(400, 'invalid-body', 'request body must be a JSON object');
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    const errors = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    throw new ProblemError(400, 'invalid-body', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  }
  return result.data;
}
