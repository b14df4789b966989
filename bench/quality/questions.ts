/**
 * The question set of bench:quality (questions.json beside this file) and the
 * resolution of each target's definition line to a line number in the pinned
 * corpus, at bench time, so the set never carries line numbers that drift.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Target } from './metrics.js';

const locationSchema = z
  .object({
    /** repo-relative, '/'-separated */
    path: z.string().min(1),
    /** the exact text of the definition line (compared with surrounding whitespace trimmed) */
    definition: z.string().min(3),
    /** when the definition text occurs more than once: which occurrence (1-based) */
    occurrence: z.number().int().min(1).optional(),
  })
  .strict();

const questionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    repo: z.string().min(1),
    /** phrased as a user asks, without the identifiers of the answer */
    query: z.string().min(8),
    /** the definition that answers the question */
    target: locationSchema,
    /**
     * Where a language keeps a definition's documentation in another file (a C
     * function's prototype and doc comment in its public header), that
     * declaration: a hit on it counts as well.
     */
    declaration: locationSchema.optional(),
  })
  .strict();

const questionFileSchema = z.object({ questions: z.array(questionSchema).min(1) }).passthrough();

export type Question = z.infer<typeof questionSchema>;
type Location = z.infer<typeof locationSchema>;
export interface ResolvedQuestion extends Question {
  /** the target, then the declaration if any */
  resolved: Target[];
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

/** The target (and declaration) with line numbers found in the corpus. */
export async function resolveQuestion(q: Question, corpusDir: string): Promise<ResolvedQuestion> {
  const resolved = [await resolveLocation(q, q.target, corpusDir)];
  if (q.declaration) resolved.push(await resolveLocation(q, q.declaration, corpusDir));
  return { ...q, resolved };
}

/** The 1-based line of a definition in the corpus; throws with the reason when it is not found exactly as recorded. */
async function resolveLocation(q: Question, loc: Location, corpusDir: string): Promise<Target> {
  const file = path.join(corpusDir, ...loc.path.split('/'));
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`bench:quality: question ${q.id}: cannot read ${q.repo}/${loc.path} (${err.code ?? err.message})`);
  });
  const want = loc.definition.trim();
  const lines = text.split(/\r?\n/);
  const found = lines.flatMap((l, i) => (l.trim() === want ? [i + 1] : []));
  const nth = loc.occurrence;
  if (nth === undefined && found.length !== 1) {
    throw new Error(
      `bench:quality: question ${q.id}: the definition line ${JSON.stringify(want)} occurs ${found.length} times in ${q.repo}/${loc.path}` +
        (found.length > 1 ? ` (lines ${found.join(', ')}); record "occurrence"` : ''),
    );
  }
  if (nth !== undefined && nth > found.length) {
    throw new Error(`bench:quality: question ${q.id}: occurrence ${nth} of ${JSON.stringify(want)} asked, ${found.length} in ${q.repo}/${loc.path}`);
  }
  return { path: loc.path, line: found[(nth ?? 1) - 1] };
}
