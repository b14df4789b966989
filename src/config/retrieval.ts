import { z } from 'zod';
import { bool, httpUrl, int, num, oneOf, optionalText } from './parsers.js';
import { optionalWhenUnset } from './shape.js';

/** Hybrid retrieval (seed 001): fusion, time budgets, the optional reranker, and which engine serves the dense channel. */
export const retrievalSection = z
  .object({
    RRF_K: int(60, 1),
    RETRIEVAL_BUDGET_MS: int(400, 1),
    RERANK_URL: httpUrl(),
    RERANK_MODEL: optionalText(),
    RERANK_BUDGET_MS: int(800, 1),
    /** fetching the winning chunks' rows from the catalog; past it the search answers 503 with Retry-After */
    HYDRATE_BUDGET_MS: int(1000, 1),
    /** repos whose index files a process keeps open for search; the least recently searched is closed first */
    SEARCH_MAX_OPEN_REPOS: int(32, 1),
    /**
     * what the open repos may hold in this process's JS and native heap (id lists, vocabularies, FAISS
     * indexes not mapped from their file); past it the least recently searched repo is closed first
     */
    SEARCH_MEMORY_BUDGET_MB: int(512, 16),
    /** 'disk': each repo's catalog in a DuckDB file (buffer-managed within DUCKDB_MEMORY_LIMIT_MB); 'memory': in-memory tables */
    SEARCH_CATALOG_STORE: oneOf(['disk', 'memory'] as const, 'disk'),
    /** where the catalog files go (default: <DATA_DIR>/catalogs); a local disk, private to the host */
    SEARCH_CATALOG_DIR: optionalText(),
    /**
     * where a missing catalog file is built: 'process' (a short-lived child process with its own DuckDB
     * memory limit, so the query process's memory does not grow with the corpus) or 'inline' (in this process's DuckDB)
     */
    CATALOG_BUILD: oneOf(['process', 'inline'] as const, 'process'),
    /** DuckDB's memory_limit in the build process (0 = a quarter of the host's RAM, at least 512 MB); ~1.3 MB per 1,000 chunks */
    CATALOG_BUILD_MEMORY_LIMIT_MB: int(0, 0),
    /** a catalog build still running after this fails (the search answers 503) */
    CATALOG_BUILD_TIMEOUT_S: int(3600, 1),
    /** read IVF indexes with mmap (IO_FLAG_MMAP): their inverted lists are paged in from the file as searched */
    SEARCH_FAISS_MMAP: bool(true),
    /**
     * the FAISS list pages (read with mmap) searches may leave mapped in this process, summed over its indexes;
     * past it they are unmapped (madvise MADV_DONTNEED: they stay in the page cache). 0 = after every search
     */
    SEARCH_FAISS_MAPPED_MB: int(256, 0),
    /** hand the native heap's freed pages back to the OS (malloc_trim, off the event loop) at most this often while searches run; 0 = only after a repo loads */
    SEARCH_NATIVE_TRIM_INTERVAL_MS: int(2000, 0),
    /** searches that run at once in a process; more wait for a turn (each holds mapped FAISS lists, DuckDB results, CPU) */
    SEARCH_MAX_CONCURRENT: int(8, 1),
    /** searches that may wait for a turn; one more is answered 503 search-overloaded with Retry-After */
    SEARCH_MAX_QUEUED: int(64, 0),
    /** the local FAISS files, or Neo4j's chunk_qwen_idx (needs NEO4J_URI, rules.ts) */
    DENSE_CHANNEL: oneOf(['faiss', 'neo4j'] as const, 'faiss'),
    /**
     * BM25 query expansion with WordNet synonyms, matched against a definition's name, definition lines and doc
     * summary only, at this weight against 1 for the query's own words (0 = off; bench:quality, docs/retrieval.md)
     */
    QUERY_SYNONYM_WEIGHT: num(0.6, 0, 1),
    /** how many of a word's WordNet senses (most frequent first) give synonyms */
    QUERY_SYNONYM_SENSES: int(2, 1),
    /** BM25 query expansion from the repo's own doc-comment/name co-occurrences, at this weight (0 = off, as above) */
    QUERY_REPO_VOCABULARY_WEIGHT: num(0, 0, 1),
  })
  .transform((e) => ({
    retrieval: optionalWhenUnset({
      rrfK: e.RRF_K,
      budgetMs: e.RETRIEVAL_BUDGET_MS,
      rerankUrl: e.RERANK_URL,
      rerankModel: e.RERANK_MODEL,
      rerankBudgetMs: e.RERANK_BUDGET_MS,
      hydrateBudgetMs: e.HYDRATE_BUDGET_MS,
      maxOpenRepos: e.SEARCH_MAX_OPEN_REPOS,
      memoryBudgetBytes: e.SEARCH_MEMORY_BUDGET_MB * 1024 * 1024,
      catalogStore: e.SEARCH_CATALOG_STORE,
      catalogDir: e.SEARCH_CATALOG_DIR,
      catalogBuild: e.CATALOG_BUILD,
      catalogBuildMemoryLimitMb: e.CATALOG_BUILD_MEMORY_LIMIT_MB,
      catalogBuildTimeoutMs: e.CATALOG_BUILD_TIMEOUT_S * 1000,
      faissMmap: e.SEARCH_FAISS_MMAP,
      faissMappedBytes: e.SEARCH_FAISS_MAPPED_MB * 1024 * 1024,
      nativeTrimIntervalMs: e.SEARCH_NATIVE_TRIM_INTERVAL_MS,
      admission: { maxConcurrent: e.SEARCH_MAX_CONCURRENT, maxQueued: e.SEARCH_MAX_QUEUED },
      /** 'faiss' (local files) or 'neo4j' (vector index); bm25/splade use OpenSearch whenever it is configured */
      denseChannel: e.DENSE_CHANNEL,
      synonymWeight: e.QUERY_SYNONYM_WEIGHT,
      synonymSenses: e.QUERY_SYNONYM_SENSES,
      repoVocabularyWeight: e.QUERY_REPO_VOCABULARY_WEIGHT,
    }),
  }));
