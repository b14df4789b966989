import neo4j from 'neo4j-driver';
import type { EmbeddingContract } from '../contracts/embedding.js';
import { abortableSleep, type Sleep } from '../resilience/index.js';
import type { EncodedBatch, Sink, SinkWriteResult } from './port.js';
import {
  constraintStatements,
  deleteChunksStatement,
  toChunkRows,
  upsertChunksStatement,
  validateVectorDimensions,
  VECTOR_INDEX_NAME,
  vectorIndexStatement,
  vectorIndexStateStatement,
  type Statement,
} from './neo4jCypher.js';

/** Connection settings, as in Config.neo4j. */
export interface Neo4jSettings {
  uri: string;
  user: string;
  password?: string;
  database?: string;
}

export interface Neo4jRecordLike {
  get(key: string): unknown;
}

/**
 * The slice of neo4j-driver's Driver the sink and the dense channel use.
 * executeQuery runs each statement in a managed transaction that the driver
 * retries on transient errors; tests pass a fake that records statements.
 */
export interface Neo4jDriverLike {
  executeQuery(
    query: string,
    params: Record<string, unknown>,
    config: { database?: string; routing?: 'READ' | 'WRITE' },
  ): Promise<{ records: Neo4jRecordLike[] }>;
  verifyConnectivity(config?: { database?: string }): Promise<unknown>;
  close(): Promise<void>;
}

export function createNeo4jDriver(settings: Neo4jSettings): Neo4jDriverLike {
  return neo4j.driver(settings.uri, neo4j.auth.basic(settings.user, settings.password ?? ''), {
    userAgent: 'codeintel',
  }) as unknown as Neo4jDriverLike;
}

export interface Neo4jSinkDeps {
  /** injected driver: the caller owns it and close() leaves it open */
  driver?: Neo4jDriverLike;
  sleep?: Sleep;
  now?: () => number;
}

export interface Neo4jSinkOptions {
  /** rows per UNWIND statement (one transaction each) */
  batchRows?: number;
  /** how long init waits for the vector index to come ONLINE */
  indexTimeoutMs?: number;
  indexPollMs?: number;
}

export const NEO4J_DEFAULTS = { batchRows: 500, indexTimeoutMs: 120_000, indexPollMs: 500 } as const;

/** Integer results come back as neo4j Integers unless the driver was told otherwise. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (neo4j.isInt(v)) return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/** Neo4j sink: :Repo/:File/:Chunk nodes with the dense vector on :Chunk (no SPLADE terms). */
export function createNeo4jSink(settings: Neo4jSettings, deps: Neo4jSinkDeps = {}, options: Neo4jSinkOptions = {}): Sink {
  const driver = deps.driver ?? createNeo4jDriver(settings);
  const ownsDriver = !deps.driver;
  const sleep = deps.sleep ?? abortableSleep;
  const now = deps.now ?? Date.now;
  const batchRows = options.batchRows ?? NEO4J_DEFAULTS.batchRows;
  const indexTimeoutMs = options.indexTimeoutMs ?? NEO4J_DEFAULTS.indexTimeoutMs;
  const indexPollMs = options.indexPollMs ?? NEO4J_DEFAULTS.indexPollMs;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError(`batchRows must be a positive integer, got ${batchRows}`);
  let indexDim: number | undefined;

  const run = (s: Statement, routing: 'READ' | 'WRITE' = 'WRITE') =>
    driver.executeQuery(s.text, s.params, { database: settings.database, routing });

  async function waitForVectorIndex(dim: number): Promise<void> {
    const deadline = now() + indexTimeoutMs;
    let last = 'not listed by SHOW INDEXES';
    for (;;) {
      const { records } = await run(vectorIndexStateStatement(), 'READ');
      const rec = records[0];
      if (rec) {
        const state = String(rec.get('state'));
        last = `${state} (${toNumber(rec.get('populationPercent'))}% populated)`;
        if (state === 'FAILED') {
          throw new Error(
            `Neo4j vector index ${VECTOR_INDEX_NAME} is FAILED; see SHOW INDEXES YIELD * and the server log, then drop and re-create it`,
          );
        }
        if (state === 'ONLINE') {
          checkExistingDimensions(rec.get('options'), dim);
          return;
        }
      }
      if (now() >= deadline) {
        throw new Error(
          `Neo4j vector index ${VECTOR_INDEX_NAME} did not come ONLINE within ${indexTimeoutMs} ms (last state: ${last})`,
        );
      }
      await sleep(indexPollMs);
    }
  }

  return {
    name: 'neo4j',

    async init(contract: EmbeddingContract) {
      const dim = validateVectorDimensions(contract.dim);
      for (const s of constraintStatements()) await run(s);
      await run(vectorIndexStatement(dim));
      await waitForVectorIndex(dim);
      indexDim = dim;
    },

    async writeBatch(batch: EncodedBatch): Promise<SinkWriteResult> {
      const dim = indexDim ?? validateVectorDimensions(batch.embedding.dim);
      if (batch.embedding.dim !== dim) {
        throw new Error(
          `Neo4j sink: batch ${batch.batchIndex} uses a ${batch.embedding.dim}-d model (${batch.embedding.model}) but the index holds ${dim}-d vectors`,
        );
      }
      const rows = toChunkRows(batch.chunks, batch.dense, dim);
      let written = 0;
      for (let i = 0; i < rows.length; i += batchRows) {
        const { records } = await run(upsertChunksStatement(batch.repo, batch.runId, rows.slice(i, i + batchRows)));
        written += records[0] ? toNumber(records[0].get('written')) : 0;
      }
      // MERGE upserts: `written` counts rows upserted, including ones already present.
      return { written };
    },

    async deleteChunks(repo: string, chunkIds: string[]) {
      for (let i = 0; i < chunkIds.length; i += batchRows) {
        await run(deleteChunksStatement(repo, chunkIds.slice(i, i + batchRows)));
      }
    },

    async health() {
      try {
        await driver.verifyConnectivity({ database: settings.database });
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: `neo4j ${settings.uri}: ${(err as Error).message}` };
      }
    },

    async close() {
      if (ownsDriver) await driver.close();
    },
  };
}

/** An index made earlier with another dimension would reject (or mis-rank) this model's vectors. */
function checkExistingDimensions(options: unknown, dim: number): void {
  const config = (options as { indexConfig?: Record<string, unknown> } | null | undefined)?.indexConfig;
  const existing = config?.['vector.dimensions'];
  if (existing === undefined || existing === null) return;
  const n = toNumber(existing);
  if (n !== dim) {
    throw new Error(
      `Neo4j vector index ${VECTOR_INDEX_NAME} holds ${n}-d vectors but the embedding contract is ${dim}-d; ` +
        'drop the index (and re-index) or point NEO4J_DATABASE at another database',
    );
  }
}
