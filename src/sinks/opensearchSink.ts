import { Client } from '@opensearch-project/opensearch';
import { retry, type Sleep } from '../resilience/index.js';
import type { EncodedBatch, Sink, SinkWriteResult } from './port.js';
import {
  buildChunkDocument,
  buildIndexBody,
  bulkBody,
  bulkDeleteOperation,
  bulkIndexOperation,
  checkIndexMapping,
  chunkBulkOperations,
  DEFAULT_BULK_BOUNDS,
  docId,
  type BulkBounds,
  type BulkOperation,
} from './opensearchBodies.js';
import { OpenSearchBulkError, type BulkItemFailure } from '../errors/openSearchBulkError.js';

/** Connection settings, as in Config.opensearch. */
export interface OpenSearchSettings {
  url: string;
  index: string;
  user?: string;
  password?: string;
}

export interface BulkResponseItem {
  _id?: string;
  status: number;
  result?: string;
  error?: { type?: string; reason?: string } | string;
}

export interface SearchHit {
  _id: string;
  _score: number | null;
  _source?: { chunk_id?: string };
}

type Abortable<T> = Promise<T> & { abort?: () => void };

/** The slice of @opensearch-project/opensearch's Client used here; tests pass a fake. */
export interface OpenSearchClientLike {
  bulk(params: { body: string; refresh?: boolean | 'wait_for' }): Promise<{ body: { errors: boolean; items: Record<string, BulkResponseItem>[] } }>;
  search(params: { index: string; body: Record<string, unknown> }): Abortable<{ body: { hits: { hits: SearchHit[] } } }>;
  indices: {
    exists(params: { index: string }): Promise<{ body: boolean }>;
    create(params: { index: string; body: Record<string, unknown> }): Promise<unknown>;
    getMapping(params: { index: string }): Promise<{ body: Record<string, { mappings?: unknown }> }>;
  };
  cluster: {
    health(params?: { index?: string }): Promise<{ body: { status: string; cluster_name?: string } }>;
  };
  close(): Promise<void>;
}

export function createOpenSearchClient(settings: OpenSearchSettings): OpenSearchClientLike {
  return new Client({
    node: settings.url,
    ...(settings.user ? { auth: { username: settings.user, password: settings.password ?? '' } } : {}),
  }) as unknown as OpenSearchClientLike;
}

// ---------------------------------------------------------------- bulk with per-item retry



export interface BulkRetryPolicy {
  /** attempts per request, the first included */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BULK_RETRY: BulkRetryPolicy = { maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 8000 };

/** 429 (queue full) and 5xx are worth another try; anything else on an item is permanent. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

function isRetryableRequestError(err: unknown): boolean {
  const e = err as { name?: string; meta?: { statusCode?: number }; statusCode?: number };
  const status = e?.meta?.statusCode ?? e?.statusCode;
  if (typeof status === 'number') return isRetryableStatus(status);
  return ['ConnectionError', 'TimeoutError', 'NoLivingConnectionsError'].includes(e?.name ?? '');
}

function describeFailure(f: BulkItemFailure): string {
  return `${f.id}: ${f.status}${f.type ? ` ${f.type}` : ''}${f.reason ? ` (${f.reason})` : ''}`;
}

function summarise(failures: BulkItemFailure[], max = 3): string {
  const shown = failures.slice(0, max).map(describeFailure).join('; ');
  return failures.length > max ? `${shown}; and ${failures.length - max} more` : shown;
}

export interface BulkRunDeps {
  client: OpenSearchClientLike;
  sleep?: Sleep;
  random?: () => number;
  policy: BulkRetryPolicy;
  refresh?: boolean | 'wait_for';
}

/** Thrown inside the retry to ask for another round: some items (or the whole request) failed transiently. */
class TransientBulkFailure extends Error {}

/**
 * Send one bounded group of operations. Items that fail with 429/5xx are
 * re-sent alone after an exponential, jittered pause (src/resilience);
 * permanently failed items are collected and reported once the rest are
 * done. Returns the ids that succeeded. `accept` tells which item statuses
 * count as success.
 */
export async function runBulk(
  deps: BulkRunDeps,
  ops: BulkOperation[],
  accept: (status: number) => boolean,
): Promise<string[]> {
  const { policy } = deps;
  const done: string[] = [];
  const permanent: BulkItemFailure[] = [];
  let pending = ops;
  let lastTransient: BulkItemFailure[] = [];
  let attempts = 0;

  /** One bulk round over `pending`; throws TransientBulkFailure while retryable failures remain. */
  async function round(attempt: number): Promise<void> {
    attempts = attempt;
    let items: Record<string, BulkResponseItem>[];
    try {
      const res = await deps.client.bulk({ body: bulkBody(pending), ...(deps.refresh !== undefined ? { refresh: deps.refresh } : {}) });
      items = res.body.items;
    } catch (err) {
      const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode ?? 0;
      const failure = { id: '(whole request)', status, reason: (err as Error).message };
      if (!isRetryableRequestError(err)) {
        throw new OpenSearchBulkError(`OpenSearch bulk request failed: ${describeFailure(failure)}`, [failure], false, attempt);
      }
      lastTransient = [failure];
      throw new TransientBulkFailure();
    }
    if (items.length !== pending.length) {
      throw new OpenSearchBulkError(
        `OpenSearch bulk answered ${items.length} items for ${pending.length} operations`,
        [],
        false,
        attempt,
      );
    }
    const again: BulkOperation[] = [];
    lastTransient = [];
    items.forEach((wrapped, i) => {
      const item = Object.values(wrapped)[0];
      const op = pending[i];
      if (item && accept(item.status)) {
        done.push(op.id);
        return;
      }
      const err = item?.error;
      const failure: BulkItemFailure = {
        id: op.id,
        status: item?.status ?? 0,
        type: typeof err === 'object' ? err?.type : undefined,
        reason: typeof err === 'object' ? err?.reason : err,
      };
      if (item && isRetryableStatus(item.status)) {
        again.push(op);
        lastTransient.push(failure);
      } else permanent.push(failure);
    });
    pending = again;
    if (pending.length > 0) throw new TransientBulkFailure();
  }

  try {
    await retry(round, {
      attempts: policy.maxAttempts,
      baseDelayMs: policy.baseDelayMs,
      maxDelayMs: policy.maxDelayMs,
      retryable: (err) => err instanceof TransientBulkFailure,
      sleep: deps.sleep,
      random: deps.random,
    });
  } catch (err) {
    if (!(err instanceof TransientBulkFailure)) throw err;
  }
  if (pending.length > 0) {
    const failures = [...permanent, ...lastTransient];
    throw new OpenSearchBulkError(
      `OpenSearch bulk gave up after ${attempts} attempts: ${pending.length} of ${ops.length} operations still failing ` +
        `(${summarise(lastTransient)})` +
        (permanent.length ? `; ${permanent.length} failed permanently (${summarise(permanent)})` : ''),
      failures,
      permanent.length === 0,
      attempts,
    );
  }
  if (permanent.length > 0) {
    throw new OpenSearchBulkError(
      `OpenSearch rejected ${permanent.length} of ${ops.length} operations permanently: ${summarise(permanent)}`,
      permanent,
      false,
      attempts,
    );
  }
  return done;
}

// ---------------------------------------------------------------- the sink

export interface OpenSearchSinkDeps {
  /** injected client: the caller owns it and close() leaves it open */
  client?: OpenSearchClientLike;
  sleep?: Sleep;
  random?: () => number;
}

export interface OpenSearchSinkOptions {
  bounds?: Partial<BulkBounds>;
  retry?: Partial<BulkRetryPolicy>;
  /** bulk `refresh`; tests use 'wait_for' to read their writes back */
  refresh?: boolean | 'wait_for';
}

/** OpenSearch sink: one document per chunk (BM25 fields + SPLADE rank_features), _id = repo:chunkId. */
export function createOpenSearchSink(
  settings: OpenSearchSettings,
  deps: OpenSearchSinkDeps = {},
  options: OpenSearchSinkOptions = {},
): Sink {
  const client = deps.client ?? createOpenSearchClient(settings);
  const ownsClient = !deps.client;
  const bounds: BulkBounds = { ...DEFAULT_BULK_BOUNDS, ...options.bounds };
  const bulkDeps: BulkRunDeps = {
    client,
    sleep: deps.sleep,
    random: deps.random,
    policy: { ...DEFAULT_BULK_RETRY, ...options.retry },
    refresh: options.refresh,
  };
  const { index } = settings;

  return {
    name: 'opensearch',

    async init() {
      const exists = (await client.indices.exists({ index })).body;
      if (!exists) {
        try {
          await client.indices.create({ index, body: buildIndexBody() });
          return;
        } catch (err) {
          // another worker created it first: fall through and check its mapping
          if (!/resource_already_exists_exception/.test(String((err as Error).message))) throw err;
        }
      }
      const mapping = (await client.indices.getMapping({ index })).body;
      const problems = checkIndexMapping(Object.values(mapping)[0]?.mappings);
      if (problems.length > 0) {
        throw new Error(
          `OpenSearch index ${index} exists with an incompatible mapping (${problems.join('; ')}); ` +
            'delete or reindex it, or set OPENSEARCH_INDEX to a new name',
        );
      }
    },

    async writeBatch(batch: EncodedBatch): Promise<SinkWriteResult> {
      if (batch.sparse && batch.sparse.length !== batch.chunks.length) {
        throw new Error(`OpenSearch sink: ${batch.chunks.length} chunks but ${batch.sparse.length} sparse vectors`);
      }
      const ops = batch.chunks.map((chunk, i) =>
        bulkIndexOperation(index, docId(batch.repo, chunk.id), buildChunkDocument(batch.repo, batch.runId, chunk, batch.sparse?.[i])),
      );
      let written = 0;
      for (const group of chunkBulkOperations(ops, bounds)) {
        written += (await runBulk(bulkDeps, group, (s) => s === 200 || s === 201)).length;
      }
      // index ops upsert by _id: `written` counts documents indexed, including re-indexed ones.
      return { written };
    },

    async deleteChunks(repo: string, chunkIds: string[]) {
      const ops = chunkIds.map((id) => bulkDeleteOperation(index, docId(repo, id)));
      for (const group of chunkBulkOperations(ops, bounds)) {
        // 404: already gone, which is what we wanted
        await runBulk(bulkDeps, group, (s) => s === 200 || s === 404);
      }
    },

    async health() {
      try {
        const { body } = await client.cluster.health({});
        const detail = `cluster ${body.cluster_name ?? '?'} is ${body.status}`;
        return { ok: body.status === 'green' || body.status === 'yellow', detail };
      } catch (err) {
        return { ok: false, detail: `opensearch ${settings.url}: ${(err as Error).message}` };
      }
    },

    async close() {
      if (ownsClient) await client.close();
    },
  };
}
