import { z } from 'zod';
import { answersSection } from './answers.js';
import { chunkingSection } from './chunking.js';
import { duckdbSection } from './duckdb.js';
import { embeddingSection } from './embedding.js';
import { ConfigError } from './errors.js';
import { faissSection } from './faiss.js';
import { gpuSection } from './gpu.js';
import { intakeSection } from './intake.js';
import { observabilitySection } from './observability.js';
import { onnxSection } from './onnx.js';
import { redisSection } from './redis.js';
import { retrievalSection } from './retrieval.js';
import { chunkWindowRule, denseChannelRule, embedderRule, exposureRules } from './rules.js';
import { serverSection } from './server.js';
import { sinksSection } from './sinks.js';
import { spladeSection } from './splade.js';
import { storageSection } from './storage.js';
import { workersSection } from './workers.js';

export { ConfigError, type ConfigProblem } from './errors.js';
export { isLoopbackHost } from './rules.js';

/**
 * One typed configuration, read from the environment once at startup; every process role reads the same.
 * Each section reads its own variables from the whole environment and returns its part of the config.
 * They are intersected, not chained, so every section is parsed even when another fails, and one
 * error lists every bad variable; a rule between settings is attached to the sections it reads.
 */
export const configSchema = redisSection
  .and(storageSection)
  .and(serverSection)
  .and(observabilitySection)
  .and(workersSection)
  .and(intakeSection)
  .and(chunkingSection.superRefine(chunkWindowRule))
  .and(embeddingSection.superRefine(embedderRule))
  .and(gpuSection)
  .and(onnxSection)
  .and(spladeSection)
  .and(answersSection)
  .and(faissSection)
  .and(duckdbSection)
  .and(retrievalSection.and(sinksSection).superRefine(denseChannelRule))
  .and(exposureRules);

export type Config = z.output<typeof configSchema>;

/** Read and validate every setting; throws one ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw ConfigError.fromIssues(parsed.error.issues, env);
  return parsed.data;
}

/** Every environment variable the schema reads, in schema order (docs/configuration.md must list each). */
export const configVariables: readonly string[] = [...new Set(variablesOf(configSchema))];

function variablesOf(schema: z.ZodTypeAny): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodEffects) return variablesOf(schema.innerType());
  if (schema instanceof z.ZodIntersection) return [...variablesOf(schema._def.left), ...variablesOf(schema._def.right)];
  return [];
}
