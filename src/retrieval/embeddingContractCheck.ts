import path from 'node:path';
import { sqlString, type DuckDb } from '../catalog/duckdb.js';
import type { Embedder } from '../embedding/port.js';
import type { Manifest } from '../manifest/manifest.js';
import type { ManifestStore } from '../manifest/store.js';
import { readFaissHeader } from '../vector/faissHeader.js';
import type { ReadinessCheck } from '../observability/readiness.js';

export interface ContractCheckDeps {
  manifests: ManifestStore;
  embedder: () => Promise<Embedder>;
  duckdb: () => Promise<DuckDb>;
  /** how long a probed embedder dimension is trusted (a vLLM endpoint may be swapped) */
  probeTtlMs?: number;
}

/** The dimensions one committed version's files hold. */
interface VersionDims {
  version: number;
  manifestDim: number;
  faiss: { file: string; dim: number }[];
  parquet: { part: string; width: number | null }[];
}

/**
 * The embedding contract check (seed 001 §E): for every indexed repo the
 * query embedder's dimension (one probe embedding), the FAISS indexes'
 * dimension (read from their file headers) and the Parquet parts'
 * `FLOAT[dim]` width must agree, or search cannot work: a mismatch is a
 * required check failing (mode `down`) with a detail naming the numbers.
 *
 * Files are immutable, so what a version's files hold is read once per
 * version. A part's width is read from its first row and its metadata, not
 * with a scan of every row (readPartMetadata): a merged part of a million
 * rows would take longer than readiness may; the sink checks every row's
 * width against the contract before it writes a part.
 */
export function createContractCheck(deps: ContractCheckDeps): () => Promise<ReadinessCheck> {
  const probeTtlMs = deps.probeTtlMs ?? 60_000;
  let probe: { embedder: Embedder; at: number; dim: Promise<number> } | null = null;
  const byRepo = new Map<string, Promise<VersionDims>>();
  const partWidths = new Map<string, Promise<number | null>>();

  const embedderDim = async (): Promise<number> => {
    const embedder = await deps.embedder();
    if (!probe || probe.embedder !== embedder || Date.now() - probe.at > probeTtlMs) {
      const dim = embedder.embedQuery('readiness probe').then((v) => v.length);
      probe = { embedder, at: Date.now(), dim };
      dim.catch(() => {
        if (probe?.dim === dim) probe = null;
      });
    }
    return probe.dim;
  };

  const partWidth = (file: string): Promise<number | null> => {
    let p = partWidths.get(file);
    if (!p) {
      p = readPartWidth(deps.duckdb, file);
      partWidths.set(file, p);
      p.catch(() => partWidths.delete(file));
    }
    return p;
  };

  const versionDims = async (repo: string, manifest: Manifest): Promise<VersionDims> => {
    const cached = byRepo.get(repo);
    if (cached) {
      const dims = await cached.catch(() => null);
      if (dims?.version === manifest.version) return dims;
    }
    const load = (async (): Promise<VersionDims> => {
      if (deps.manifests.remote) {
        // an object store: readiness must not download every repo's files, so the dimensions are
        // the ones the manifest records (the FAISS files were built with them, the sink checked every part's width)
        const refs = [manifest.vectors.primary, manifest.vectors.secondary].filter((r) => r !== null);
        return { version: manifest.version, manifestDim: manifest.embedding.dim, faiss: refs.map((r) => ({ file: r.file, dim: r.dim })), parquet: [] };
      }
      // local paths: the files themselves, or copies in the cache when the store is remote
      const local = async (name: string) => (await deps.manifests.materialize(repo, [name]))[0];
      const faiss = [];
      for (const ref of [manifest.vectors.primary, manifest.vectors.secondary]) {
        if (ref) faiss.push({ file: ref.file, dim: (await readFaissHeader(await local(ref.file))).dim });
      }
      const parquet = [];
      for (const part of manifest.parts) parquet.push({ part, width: await partWidth(await local(part)) });
      return { version: manifest.version, manifestDim: manifest.embedding.dim, faiss, parquet };
    })();
    byRepo.set(repo, load);
    load.catch(() => {
      if (byRepo.get(repo) === load) byRepo.delete(repo);
    });
    return load;
  };

  return async () => {
    const repos = await deps.manifests.listRepos();
    let dim: number;
    try {
      dim = await embedderDim();
    } catch (err) {
      return { ok: false, required: true, detail: `could not embed a probe query to learn the embedder's dimension: ${(err as Error).message}` };
    }
    const problems: string[] = [];
    const seen: Record<string, { version: number; faiss: number[]; parquet: number[] }> = {};
    for (const repo of repos) {
      const manifest = await deps.manifests.current(repo).catch(() => null);
      if (!manifest) continue;
      let dims: VersionDims;
      try {
        dims = await versionDims(repo, manifest);
      } catch (err) {
        problems.push(`repo ${repo} v${manifest.version}: its index files cannot be read (${(err as Error).message})`);
        continue;
      }
      const faissDims = [...new Set(dims.faiss.map((f) => f.dim))];
      const widths = [...new Set(dims.parquet.map((p) => p.width).filter((w): w is number => w !== null))];
      seen[repo] = { version: dims.version, faiss: faissDims, parquet: widths };
      const badFaiss = dims.faiss.find((f) => f.dim !== dim);
      const badPart = dims.parquet.find((p) => p.width !== null && p.width !== dim);
      if (badFaiss || badPart || dims.manifestDim !== dim) {
        const faissText = badFaiss ? `${badFaiss.dim}-d (${badFaiss.file})` : faissDims.length ? `${faissDims.join('/')}-d` : 'none';
        const partText = badPart ? `FLOAT[${badPart.width}] (${badPart.part})` : widths.length ? `FLOAT[${widths.join('/')}]` : 'none';
        problems.push(
          `repo ${repo} v${dims.version}: the embedder gives ${dim}-d vectors, the FAISS index holds ${faissText}, ` +
            `the Parquet embedding column is ${partText} (manifest: ${manifest.embedding.model}, ${dims.manifestDim}-d); ` +
            're-index it with full: true under the current model, or serve it with the model it was built with',
        );
      }
    }
    if (problems.length) return { ok: false, required: true, embedderDim: dim, repos: seen, detail: problems.join('; ') };
    return {
      ok: true,
      required: true,
      embedderDim: dim,
      repos: seen,
      detail: repos.length ? `${repos.length} repo(s) agree with the embedder's ${dim}-d vectors` : 'no indexed repos yet',
    };
  };
}

/** A part's embedding width: its first row's length, cross-checked with the contract in its metadata. */
async function readPartWidth(duckdb: () => Promise<DuckDb>, file: string): Promise<number | null> {
  const db = await duckdb();
  return db.withConnection(async (conn) => {
    const rows = await conn.runAndReadAll(`SELECT len(embedding)::INTEGER AS w FROM read_parquet(${sqlString(file)}) LIMIT 1`);
    const first = rows.getRowObjectsJS()[0] as { w: number | null } | undefined;
    const kv = await conn.runAndReadAll(`SELECT decode(value) AS v FROM parquet_kv_metadata(${sqlString(file)}) WHERE decode(key) = 'embedding_dim'`);
    const declared = kv.getRowObjectsJS()[0] as { v: string } | undefined;
    const width = first?.w ?? (declared ? Number(declared.v) : null);
    if (declared && first?.w != null && Number(declared.v) !== first.w) {
      throw new Error(`${path.basename(file)} declares ${declared.v}-d embeddings but holds ${first.w}-d rows`);
    }
    return width;
  });
}
