import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { luceneToRegExp } from './regexEvaluators.js';

/**
 * A tiny in-memory OpenSearch on 127.0.0.1 speaking the REST calls codeintel
 * makes (HEAD/PUT index, GET _mapping, POST _bulk NDJSON, POST _search,
 * GET _cluster/health), so the sink and the retrieval channels can be tested
 * through the real @opensearch-project/opensearch client. It is not a search
 * engine: `multi_match` scores by shared lower-cased word parts and
 * `rank_feature` by the dot product, enough to check wiring and ordering.
 */

export interface FakeDoc {
  _id: string;
  _source: Record<string, unknown>;
}

/** The part of OpenSearch's query DSL this fake evaluates. */
interface Clause {
  term?: Record<string, unknown>;
  terms?: Record<string, unknown[]>;
  regexp?: Record<string, { value: string }>;
  bool?: { must?: Clause[]; should?: Clause[]; filter?: Clause[]; must_not?: Clause[]; boost?: number };
  multi_match?: { query: string; boost?: number };
  rank_feature?: { field: string; boost?: number };
}

export interface FakeSearchResponse {
  took: number;
  timed_out: boolean;
  hits: { total: { value: number; relation: 'eq' }; hits: { _index: string; _id: string; _score: number; _source: { chunk_id: unknown } }[] };
}

export interface FakeOpenSearch {
  readonly url: string;
  readonly indices: Map<string, { body: { mappings?: { properties?: Record<string, unknown> } }; docs: Map<string, FakeDoc> }>;
  /** every request, in order: method, path, parsed body (NDJSON lines for _bulk) */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever JSON the client sent; tests assert on its shape
  readonly requests: { method: string; path: string; body: any; response?: FakeSearchResponse }[];
  /** answer the next `times` matching requests with this status */
  fail(opts: { path: RegExp; status: number; times?: number }): void;
  clearFaults(): void;
  health: 'green' | 'yellow' | 'red';
  close(): Promise<void>;
}

const words = (s: unknown): string[] =>
  String(s ?? '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);

function matches(doc: Record<string, unknown>, clause: Clause): boolean {
  if (clause.term) {
    const [field, value] = Object.entries(clause.term)[0];
    if (field === 'path.tree') return String(doc.path).startsWith(`${value}/`) || doc.path === value;
    return doc[field] === (typeof value === 'object' ? (value as { value: unknown }).value : value);
  }
  if (clause.terms) {
    const [field, values] = Object.entries(clause.terms)[0];
    return values.includes(doc[field]);
  }
  if (clause.regexp) {
    const [field, spec] = Object.entries(clause.regexp)[0];
    return luceneToRegExp(spec.value).test(String(doc[field]));
  }
  if (clause.bool) {
    const should = clause.bool.should ?? [];
    const filter = clause.bool.filter ?? [];
    const mustNot = clause.bool.must_not ?? [];
    return (
      filter.every((c) => matches(doc, c)) &&
      !mustNot.some((c) => matches(doc, c)) &&
      (should.length === 0 || should.some((c) => matches(doc, c)))
    );
  }
  return true;
}

function score(doc: Record<string, unknown>, clause: Clause): number {
  if (clause.multi_match) {
    const q = new Set(words(clause.multi_match.query));
    const text = [...words(doc.content), ...words(((doc.symbols as string[] | undefined) ?? []).join(' ')), ...words(doc.path)];
    return text.filter((w) => q.has(w)).length * (clause.multi_match.boost ?? 1);
  }
  if (clause.rank_feature) {
    const name = String(clause.rank_feature.field).slice('splade_terms.'.length);
    return ((doc.splade_terms as Record<string, number> | undefined)?.[name] ?? 0) * (clause.rank_feature.boost ?? 1);
  }
  if (clause.bool) {
    const parts = [...(clause.bool.must ?? []), ...(clause.bool.should ?? [])].map((c) => score(doc, c));
    return parts.reduce((a: number, b: number) => a + b, 0) * (clause.bool.boost ?? 1);
  }
  return 0;
}

export async function startFakeOpenSearch(): Promise<FakeOpenSearch> {
  const indices: FakeOpenSearch['indices'] = new Map();
  const requests: FakeOpenSearch['requests'] = [];
  const faults: { path: RegExp; status: number; times: number }[] = [];

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? '' : JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    const method = req.method ?? 'GET';
    const isBulk = p.endsWith('/_bulk');
    const body = isBulk ? raw.split('\n').filter(Boolean).map((l) => JSON.parse(l)) : raw ? JSON.parse(raw) : undefined;
    const logged: FakeOpenSearch['requests'][number] = { method, path: p, body };
    requests.push(logged);

    const fault = faults.find((f) => f.path.test(p) && f.times > 0);
    if (fault) {
      fault.times--;
      return send(res, fault.status, { error: { type: 'fake_fault', reason: `scripted ${fault.status}` }, status: fault.status });
    }

    if (p === '/_cluster/health') return send(res, 200, { cluster_name: 'fake', status: server.health });
    if (isBulk) {
      const items: Record<string, { _id: string; status: number; result: string }>[] = [];
      for (let i = 0; i < body.length; i++) {
        const [action, meta] = Object.entries(body[i])[0] as [string, { _index: string; _id: string }];
        const index = indices.get(meta._index) ?? { body: {}, docs: new Map() };
        indices.set(meta._index, index);
        if (action === 'index') {
          const existed = index.docs.has(meta._id);
          index.docs.set(meta._id, { _id: meta._id, _source: body[++i] });
          items.push({ index: { _id: meta._id, status: existed ? 200 : 201, result: existed ? 'updated' : 'created' } });
        } else if (action === 'delete') {
          const existed = index.docs.delete(meta._id);
          items.push({ delete: { _id: meta._id, status: existed ? 200 : 404, result: existed ? 'deleted' : 'not_found' } });
        }
      }
      return send(res, 200, { took: 1, errors: false, items });
    }
    const m = /^\/([^/_][^/]*)(?:\/(_mapping|_search))?$/.exec(p);
    if (!m) return send(res, 404, { error: { type: 'fake_unsupported', reason: `${method} ${p}` }, status: 404 });
    const [, name, op] = m;
    const index = indices.get(name);
    if (!op && method === 'HEAD') return send(res, index ? 200 : 404);
    if (!op && method === 'PUT') {
      if (index) return send(res, 400, { error: { type: 'resource_already_exists_exception', reason: `index [${name}] already exists` }, status: 400 });
      indices.set(name, { body, docs: new Map() });
      return send(res, 200, { acknowledged: true, index: name });
    }
    if (!index) return send(res, 404, { error: { type: 'index_not_found_exception', reason: `no such index [${name}]` }, status: 404 });
    if (op === '_mapping') return send(res, 200, { [name]: { mappings: index.body?.mappings ?? {} } });
    if (op === '_search') {
      const query: Clause = body?.query ?? {};
      const filter = query.bool?.filter ?? [];
      const must = query.bool?.must ?? [];
      const should = query.bool?.should ?? [];
      const hits = [...index.docs.values()]
        .filter((d) => filter.every((c) => matches(d._source, c)))
        .map((d) => ({ d, s: [...must, ...should].reduce((a, c) => a + score(d._source, c), 0) }))
        .filter((h) => h.s > 0)
        .sort((a, b) => b.s - a.s || (a.d._id < b.d._id ? -1 : 1))
        .slice(0, body?.size ?? 10)
        .map(({ d, s }) => ({ _index: name, _id: d._id, _score: s, _source: { chunk_id: d._source.chunk_id } }));
      logged.response = { took: 1, timed_out: false, hits: { total: { value: hits.length, relation: 'eq' }, hits } };
      return send(res, 200, logged.response);
    }
    return send(res, 405, { error: { type: 'fake_unsupported', reason: `${method} ${p}` }, status: 405 });
  };

  const httpServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, Buffer.concat(chunks).toString('utf8'), res);
      } catch (err) {
        send(res, 500, { error: { type: 'fake_error', reason: (err as Error).message }, status: 500 });
      }
    });
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  const server: FakeOpenSearch = {
    url: `http://127.0.0.1:${port}`,
    indices,
    requests,
    health: 'green',
    fail: ({ path, status, times = 1 }) => faults.push({ path, status, times }),
    clearFaults: () => faults.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections?.();
        httpServer.close(() => resolve());
      }),
  };
  return server;
}
