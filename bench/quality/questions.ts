/**
 * The question set of bench:quality (questions.json beside this file) and the
 * resolution of each target's definition line to a line number in the pinned
 * corpus, at bench time, so the set never carries line numbers that drift.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Target } from './metrics.js';

const questionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    repo: z.string().min(1),
    /** phrased as a user asks, without the identifiers of the answer */
    query: z.string().min(8),
    target: z
      .object({
        /** repo-relative, '/'-separated */
        path: z.string().min(1),
        /** the exact text of the definition line (compared with surrounding whitespace trimmed) */
        definition: z.string().min(3),
        /** when the definition text occurs more than once: which occurrence (1-based) */
        occurrence: z.number().int().min(1).optional(),
      })
      .strict(),
  })
  .strict();

const questionFileSchema = z.object({ questions: z.array(questionSchema).min(1) }).passthrough();

export type Question = z.infer<typeof questionSchema>;
export interface ResolvedQuestion extends Question {
  resolved: Target;
}

export async function loadQuestions(file: string): Promise<Question[]> {
  const parsed = questionFileSchema.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`bench:quality: ${file} is not a valid question set: ${issues}`);
  }
  const seen = new Set<string>();
  for (const q of parsed.data.questions) {
    if (seen.has(q.id)) throw new Error(`bench:quality: question id ${q.id} appears twice in ${file}`);
    seen.add(q.id);
  }
  return parsed.data.questions;
}

/** The 1-based line of the target's definition in the corpus; throws with the reason when it is not found exactly as recorded. */
export async function resolveTarget(q: Question, corpusDir: string): Promise<Target> {
  const file = path.join(corpusDir, ...q.target.path.split('/'));
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`bench:quality: question ${q.id}: cannot read ${q.repo}/${q.target.path} (${err.code ?? err.message})`);
  });
  const want = q.target.definition.trim();
  const lines = text.split(/\r?\n/);
  const found = lines.flatMap((l, i) => (l.trim() === want ? [i + 1] : []));
  const nth = q.target.occurrence;
  if (nth === undefined && found.length !== 1) {
    throw new Error(
      `bench:quality: question ${q.id}: the definition line ${JSON.stringify(want)} occurs ${found.length} times in ${q.repo}/${q.target.path}` +
        (found.length > 1 ? ` (lines ${found.join(', ')}); record "occurrence"` : ''),
    );
  }
  if (nth !== undefined && nth > found.length) {
    throw new Error(`bench:quality: question ${q.id}: occurrence ${nth} of ${JSON.stringify(want)} asked, ${found.length} in ${q.repo}/${q.target.path}`);
  }
  return { path: q.target.path, line: found[(nth ?? 1) - 1] };
}
