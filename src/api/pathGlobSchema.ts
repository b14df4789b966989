import { z } from 'zod';
import { parsePathGlob, PathGlobError } from '../pathFilter/index.js';

/**
 * `filters.paths` of a search or answer request: up to 50 globs, each one
 * parsed here so a malformed glob is a 400 naming it (and its position),
 * not an error deep in a backend.
 */
export const pathGlobsSchema = z
  .array(
    z.string().superRefine((glob, ctx) => {
      try {
        parsePathGlob(glob);
      } catch (err) {
        if (!(err instanceof PathGlobError)) throw err;
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: err.message });
      }
    }),
  )
  .max(50);
