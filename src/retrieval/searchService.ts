import { TimeoutError, withTimeout } from '../resilience/index.js';
import pLimit from 'p-limit';
import { OverloadedError } from '../errors/overloadedError.js';
import type { Bm25Expansion, ChunkRow, RolePriors } from '../catalog/chunkCatalog.js';
import { rolePriorsFor } from './rolePrior.js';
import type { Embedder } from '../embedding/port.js';
import type { Logger } from '../observability/logger.js';
import type { SparseVector } from '../contracts/sparse.js';
import type { ChannelHit, RetrievalChannel, SearchFilters } from '../contracts/search.js';
import type { RepoReader, RepoReaders } from './repoReaders.js';
import { reciprocalRankFusion, type FusedHit } from './rrf.js';
import { channelWeights } from './channelWeights.js';
import type { TermExpansion } from './synonymExpansion.js';
import { bestMatchingLine, mergeDefinition, type BestLine } from './definitionHit.js';
import { searchLive } from '../vector/searchLive.js';
import { RepoNotIndexedError } from '../errors/repoNotIndexedError.js';

export const CHANNELS = ['dense', 'bm25', 'splade'] as const;
export type ChannelName = (typeof CHANNELS)[number];

export interface SearchRequest {
  repo: string;
  query: string;
  k: number;
  channels?: ChannelName[];
  filters?: SearchFilters;
  /** per-channel time budget; a channel that misses it is dropped and named in `dropped` */
  budgetMs?: number;
  signal?: AbortSignal;
}

/**
 * One definition: the hydrated chunk that ranked, merged with the other
 * chunks of its definition (its lines, symbols and content span them all),
 * with its fused score, its rank in each channel and why it scored so.
 */
export interface SearchHit extends ChunkRow {
  /** the definition this hit is: the one holding its best-matching line; null for a chunk without symbols */
  symbol: string | null;
  score: number;
  channels: Record<string, number>;
  scoreParts: {
    /** per channel: rank, fusion weight, and what it added to `score` (weight / (rrfK + rank)) */
    channels: Record<string, { rank: number; weight: number; contribution: number }>;
    /** the multiplier the file's role applied to each channel's score before fusion */
    rolePrior: number;
    /** how many chunks of this definition were merged into the hit, when more than one */
    collapsedChunks?: number;
  };
  bestLine: BestLine;
  /** PREVIEW_LINES lines from the best-matching line */
  preview: string;
  /** the file line the preview starts at */
  previewStartLine: number;
}

export interface SearchResponse {
  hits: SearchHit[];
  timingsMs: Record<string, number>;
  /** channels that were asked for but not used, and why */
  dropped: { channel: string; reason: string }[];
  /** each channel's top chunk ids, for traces */
  channelTopIds: Record<string, string[]>;
  /** channels whose production engine failed, so the local index answered instead */
  fallbacks?: { channel: string; engine: string; reason: string }[];
  manifestVersion: number;
}


export interface SearchDeps {
  readers: RepoReaders;
  embedder: () => Promise<Embedder>;
  /** SPLADE query expansion (cached), or null when no model is configured */
  expandQuery: ((text: string) => Promise<SparseVector>) | null;
  logger: Logger;
  rrfK: number;
  defaultBudgetMs: number;
  /** time for fetching the winners' rows; past it the search fails with OverloadedError (503, Retry-After) */
  hydrateBudgetMs?: number;
  /**
   * Searches that run at once in this process, and how many more may wait for a turn; past both a search fails with
   * OverloadedError (503, Retry-After). Each running search holds memory (mapped FAISS lists, DuckDB results) and CPU,
   * so this bounds both. Absent = unbounded.
   */
  admission?: { maxConcurrent: number; maxQueued: number };
  /** a query's synonyms (WordNet), matched against the head fields only (a definition's name, definition lines, doc summary); none when absent */
  synonyms?: TermExpansion;
  /** each channel's fusion weight for a repo's embedding contract (default: channelWeights, measured on bench:quality) */
  channelWeights?: typeof channelWeights;
  /** weight of the terms the repo's own vocabulary relates to the query's (0 or absent = off) */
  repoVocabularyWeight?: number;
  /**
   * Channels served by a production engine instead of the local files
   * (OpenSearch bm25/splade, Neo4j dense). When one fails, that query falls
   * back to the local channel and says so in `fallbacks`.
   */
  channels?: Partial<Record<ChannelName, RetrievalChannel & { engine?: string }>>;
}

const PREVIEW_LINES = 12;

/**
 * Hybrid search over one repo: the channels run in parallel, each within a
 * time budget; their rankings are fused with RRF (k=60) and the winners are
 * hydrated from the DuckDB catalog.
 */
export function createSearchService(deps: SearchDeps) {
  async function denseChannel(reader: RepoReader, query: string, k: number, filters: SearchFilters | undefined, timings: Record<string, number>, signal?: AbortSignal) {
    const t0 = performance.now();
    const embedder = await deps.embedder();
    const vector = await embedder.embedQuery(query);
    // a FAISS search cannot be stopped once it runs on its native thread, but a spent budget does not start one
    signal?.throwIfAborted();
    timings.embed_query = round(performance.now() - t0);
    if (vector.length !== reader.manifest.embedding.dim) {
      throw new Error(
        `the query embedder gives ${vector.length}-d vectors but the index of ${reader.manifest.repo} holds ${reader.manifest.embedding.dim}-d ones`,
      );
    }
    const filtered = !!(filters?.paths?.length || filters?.languages?.length || filters?.roles?.length);
    const want = filtered ? k * 10 : k * 2;
    const t1 = performance.now();
    // each index asked until it yields `want` live chunks: deleted ones stay in FAISS until compaction
    const dead = (id: string) => reader.deleted.has(id);
    const lists = await Promise.all([
      reader.primary ? searchLive(reader.primary, vector, want, dead) : [],
      reader.secondary ? searchLive(reader.secondary, vector, want, dead) : [],
    ]);
    timings.faiss = round(performance.now() - t1);
    // searchLive already dropped deleted chunks; merge the two indexes by chunk id
    const best = new Map<string, number>();
    for (const list of lists) {
      for (const hit of list) {
        const prev = best.get(hit.chunkId);
        if (prev === undefined || hit.score > prev) best.set(hit.chunkId, hit.score);
      }
    }
    // equal scores break by chunk id, so the order does not depend on how the vectors are split over indexes
    let hits: ChannelHit[] = [...best.entries()]
      .map(([chunkId, score]) => ({ chunkId, score }))
      .sort((a, b) => b.score - a.score || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0));
    if (filtered) {
      const keep = new Set(await reader.catalog.filterIds(hits.map((h) => h.chunkId), filters, signal));
      hits = hits.filter((h) => keep.has(h.chunkId));
    }
    return hits.slice(0, k);
  }

  async function spladeChannel(reader: RepoReader, query: string, k: number, filters: SearchFilters | undefined, timings: Record<string, number>, signal?: AbortSignal) {
    if (!deps.expandQuery) throw new Error('no SPLADE model is configured (SPLADE_MODEL_DIR); the sparse channel is BM25 alone');
    const t0 = performance.now();
    const weights = await deps.expandQuery(query);
    timings.splade_query = round(performance.now() - t0);
    return reader.catalog.splade(weights, k, filters, signal);
  }

  /**
   * One channel from a production engine. Its index may still hold chunks the
   * manifest has deleted (a failed delete), so those are dropped here; if the
   * engine fails, the local channel answers and the response says so.
   */
  async function externalChannel(
    channel: ChannelName,
    external: RetrievalChannel & { engine?: string },
    reader: RepoReader,
    req: SearchRequest,
    depth: number,
    signal: AbortSignal,
    local: (signal: AbortSignal) => Promise<ChannelHit[]>,
    fallbacks: NonNullable<SearchResponse['fallbacks']>,
  ): Promise<ChannelHit[]> {
    const extra = Math.min(reader.deleted.size, 1000);
    try {
      const hits = await external.search({ repo: req.repo, text: req.query, k: depth + extra, filters: req.filters, signal });
      return hits.filter((h) => !reader.deleted.has(h.chunkId)).slice(0, depth);
    } catch (err) {
      if (signal.aborted) throw err;
      const engine = external.engine ?? 'external';
      const reason = (err as Error)?.message ?? String(err);
      fallbacks.push({ channel, engine, reason });
      deps.logger.warn({ repo: req.repo, channel, engine, reason }, 'production retrieval engine failed; the local index answers instead');
      return local(signal);
    }
  }

  /** Extra weighted terms for BM25: the repo's own vocabulary over every field, synonyms over the head fields. */
  function expansion(reader: RepoReader, query: string): Bm25Expansion | undefined {
    const vocabWeight = deps.repoVocabularyWeight ?? 0;
    const terms = vocabWeight > 0 ? reader.catalog.relatedTerms(query, vocabWeight) : undefined;
    const headTerms = deps.synonyms?.(query);
    return terms?.size || headTerms?.size ? { terms, headTerms } : undefined;
  }

  const limit = deps.admission ? pLimit(deps.admission.maxConcurrent) : undefined;

  return {
    async search(req: SearchRequest): Promise<SearchResponse> {
      if (!limit) return runSearch(req);
      const { maxConcurrent, maxQueued } = deps.admission!;
      if (limit.activeCount >= maxConcurrent && limit.pendingCount >= maxQueued) {
        throw new OverloadedError(
          'search-overloaded',
          `this server already runs ${limit.activeCount} searches with ${limit.pendingCount} waiting (SEARCH_MAX_CONCURRENT, SEARCH_MAX_QUEUED); try again shortly`,
          1,
          { repo: req.repo },
        );
      }
      return limit(() => runSearch(req));
    },
  };

  async function runSearch(req: SearchRequest): Promise<SearchResponse> {
    const started = performance.now();
    const timings: Record<string, number> = {};
    const reader = await deps.readers.get(req.repo);
    if (!reader) throw new RepoNotIndexedError(req.repo);
    timings.load = round(performance.now() - started);
    const weights = (deps.channelWeights ?? channelWeights)(reader.manifest.embedding);
    // by default, the channels whose weight can move the fused order; asked for by name, any channel runs
    const wanted = req.channels?.length ? [...new Set(req.channels)] : CHANNELS.filter((c) => weights[c] > 0);
    const dropped: SearchResponse['dropped'] = [];
    const channels = wanted.filter((c) => {
      if (c === 'splade' && (!deps.expandQuery || !reader.manifest.sparse)) {
        if (req.channels?.includes('splade')) {
          dropped.push({ channel: 'splade', reason: deps.expandQuery ? 'this repo was indexed without SPLADE terms' : 'no SPLADE model is configured' });
        }
        return false;
      }
      return true;
    });
    const depth = Math.max(req.k * 3, 30);
    const priors = rolePriorsFor(req.query);
    const budget = req.budgetMs ?? deps.defaultBudgetMs;
    const lists: Record<string, ChannelHit[]> = {};
    const fallbacks: NonNullable<SearchResponse['fallbacks']> = [];
    await Promise.all(
      channels.map(async (channel) => {
        const t0 = performance.now();
        // a channel that misses its budget is cancelled: its signal aborts, which interrupts its DuckDB query
        // (or the production engine's request); FAISS work not yet started is skipped
        const local = (signal: AbortSignal) =>
          channel === 'dense'
            ? denseChannel(reader, req.query, depth, req.filters, timings, signal)
            : channel === 'bm25'
              ? reader.catalog.bm25(req.query, depth, req.filters, priors, expansion(reader, req.query), signal)
              : spladeChannel(reader, req.query, depth, req.filters, timings, signal);
        const external = deps.channels?.[channel];
        const work = (signal: AbortSignal) =>
          external ? externalChannel(channel, external, reader, req, depth, signal, local, fallbacks) : local(signal);
        // the local BM25 applies the role prior inside its scan; the other channels' scores are scaled here
        const ranked = channel === 'bm25' && !external ? work : async (signal: AbortSignal) => withRolePrior(reader, await work(signal), priors);
        try {
          lists[channel] = await withTimeout(ranked, budget, { message: `missed its ${budget} ms budget`, signal: req.signal });
        } catch (err) {
          const reason = (err as Error).message;
          dropped.push({ channel, reason });
          deps.logger.warn({ repo: req.repo, channel, reason }, 'retrieval channel dropped');
        } finally {
          timings[channel] = round(performance.now() - t0);
        }
      }),
    );
    const t1 = performance.now();
    // one channel alone keeps its own order, whatever its weight in a fusion
    const fusedAll: FusedHit[] = reciprocalRankFusion(lists, deps.rrfK, Object.keys(lists).length > 1 ? weights : {});
    // definition-first: chunks of one definition collapse into the best-ranked one
    const defs = reader.catalog.definitions(fusedAll.map((f) => f.chunkId));
    const seenGroups = new Set<number>();
    const fused: { hit: FusedHit; group: number | null }[] = [];
    for (let i = 0; i < fusedAll.length && fused.length < req.k; i++) {
      const group = defs[i]?.group ?? null;
      if (group !== null && seenGroups.has(group)) continue;
      if (group !== null) seenGroups.add(group);
      fused.push({ hit: fusedAll[i], group });
    }
    timings.fuse = round(performance.now() - t1);
    const t2 = performance.now();
    const memberIds = fused.map(({ hit, group }) => (group === null ? [hit.chunkId] : reader.catalog.definitionChunkIds(group)));
    const hydrateBudget = deps.hydrateBudgetMs ?? Infinity;
    const rows = await withTimeout((signal) => reader.catalog.hydrate([...new Set(memberIds.flat())], req.filters, signal), hydrateBudget, {
      signal: req.signal,
    }).catch((err) => {
      if (err instanceof TimeoutError) {
        throw new OverloadedError('search-overloaded', `fetching the hits of ${req.repo} took longer than its ${hydrateBudget} ms budget; try again shortly`, 1, { repo: req.repo });
      }
      throw err;
    });
    timings.hydrate = round(performance.now() - t2);
    const byId = new Map(rows.map((r) => [r.chunkId, r]));
    const hits: SearchHit[] = [];
    fused.forEach(({ hit: f }, i) => {
      const best = byId.get(f.chunkId);
      if (!best) return;
      const members = memberIds[i].map((id) => byId.get(id)).filter((r): r is ChunkRow => r !== undefined);
      const row = mergeDefinition(best, members);
      const bestLine = bestMatchingLine(row, req.query);
      const lines = row.content.split('\n');
      hits.push({
        ...row,
        symbol: bestLine.symbol,
        score: Number(f.score.toFixed(6)),
        channels: f.channels,
        scoreParts: {
          channels: Object.fromEntries(
            Object.entries(f.channels).map(([c, rank]) => [c, { rank, weight: weights[c] ?? 1, contribution: Number((f.contributions[c] ?? 0).toFixed(6)) }]),
          ),
          rolePrior: priors[row.role],
          ...(members.length > 1 ? { collapsedChunks: members.length } : {}),
        },
        bestLine,
        // the best-matching line first, then what follows it
        preview: lines.slice(bestLine.line - row.startLine, bestLine.line - row.startLine + PREVIEW_LINES).join('\n'),
        previewStartLine: bestLine.line,
      });
    });
    timings.total = round(performance.now() - started);
    const channelTopIds: Record<string, string[]> = {};
    for (const [c, l] of Object.entries(lists)) channelTopIds[c] = l.slice(0, req.k).map((h) => h.chunkId);
    return {
      hits,
      timingsMs: timings,
      dropped,
      channelTopIds,
      manifestVersion: reader.manifest.version,
      ...(fallbacks.length ? { fallbacks } : {}),
    };
  }
}

export type SearchService = ReturnType<typeof createSearchService>;

/** A channel's hits rescored by the role prior of their files and re-sorted (a negative similarity is left as it is). */
function withRolePrior(reader: RepoReader, hits: ChannelHit[], priors: RolePriors): ChannelHit[] {
  const roles = reader.catalog.roles(hits.map((h) => h.chunkId));
  return hits
    .map((h, i) => ({ chunkId: h.chunkId, score: h.score > 0 ? h.score * priors[roles[i]] : h.score, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .map(({ chunkId, score }) => ({ chunkId, score }));
}

const round = (ms: number) => Math.round(ms * 100) / 100;
