import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCli } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import { ROLES } from '../../src/contracts/queues.js';

/**
 * docker-compose.gpu.yml cannot be brought up here (no Docker engine, no GPU),
 * so its promises are checked on the parsed file: health checks everywhere,
 * one reserved NVIDIA device per GPU worker, Redis settings BullMQ needs,
 * the vLLM flags of the embedding contract, healthy-dependency ordering and
 * the shared DATA_DIR volume.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const text = readFileSync(path.join(ROOT, 'docker-compose.gpu.yml'), 'utf8');
// compose resolves YAML merge keys (<<: *anchor); so does this parse
const compose = parse(text, { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};

interface Device {
  driver?: string;
  device_ids?: string[];
  count?: number | string;
  capabilities?: string[];
}
interface Service {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition?: string }> | string[];
  deploy?: { resources?: { reservations?: { devices?: Device[] } } };
  profiles?: string[];
}

const services = Object.entries(compose.services);
const isCodeintel = (s: Service) => (s.image ?? '').includes('codeintel');
const codeintel = services.filter(([, s]) => isCodeintel(s));
const gpuWorkers = services.filter(([name]) => /^gpu-worker-\d+$/.test(name));
const vllms = services.filter(([name]) => /^vllm-\d+$/.test(name));
const devices = (s: Service) => s.deploy?.resources?.reservations?.devices ?? [];
const args = (s: Service) => (Array.isArray(s.command) ? s.command.map(String) : String(s.command ?? '').split(/\s+/));
const flag = (s: Service, name: string) => {
  const a = args(s);
  const i = a.indexOf(name);
  return i >= 0 ? a[i + 1] : undefined;
};

describe('docker-compose.gpu.yml', () => {
  it('has the services of the stack', () => {
    const names = Object.keys(compose.services);
    for (const n of ['redis', 'neo4j', 'opensearch', 'api', 'sink-worker', 'index-worker', 'answer-worker', 'llm']) expect(names).toContain(n);
    expect(gpuWorkers.map(([n]) => n)).toEqual(['gpu-worker-0', 'gpu-worker-1']);
    expect(vllms.map(([n]) => n)).toEqual(['vllm-0', 'vllm-1']);
  });

  it('gives every service a health check', () => {
    for (const [name, s] of services) {
      expect(s.healthcheck?.test, `${name} has no healthcheck`).toBeTruthy();
      expect(s.healthcheck?.disable, name).not.toBe(true);
    }
  });

  it('reserves exactly one NVIDIA device per GPU worker, a different one each, shared with that device’s vLLM', () => {
    const ids: string[] = [];
    for (const [name, s] of gpuWorkers) {
      const d = devices(s);
      expect(d, name).toHaveLength(1);
      expect(d[0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
      expect(d[0].count, `${name}: device_ids, not count`).toBeUndefined();
      expect(d[0].device_ids, name).toHaveLength(1);
      const id = d[0].device_ids![0];
      ids.push(id);
      // the service name says which host device it owns
      expect(name).toBe(`gpu-worker-${id}`);
      // inside the container the one reserved device is CUDA device 0
      expect(args(s).slice(0, 3)).toEqual(['worker', '--role', 'gpu']);
      expect(flag(s, '--gpu')).toBe('0');
      expect(s.environment?.CUDA_VISIBLE_DEVICES ?? '0').toBe('0');
      expect(s.environment?.REQUIRE_GPU).toBe('1');
      // dense embeddings go through the vLLM on the same device
      const vllm = `vllm-${id}`;
      expect(s.environment?.VLLM_URL).toBe(`http://${vllm}:8000/v1`);
      expect(devices(compose.services[vllm])[0].device_ids).toEqual([id]);
      expect((s.depends_on as Record<string, { condition: string }>)[vllm]).toEqual({ condition: 'service_healthy' });
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reserves no GPU for the services that do not need one', () => {
    for (const [name, s] of codeintel) {
      if (/^gpu-worker-/.test(name)) continue;
      expect(devices(s), name).toEqual([]);
      expect(s.environment?.REQUIRE_GPU, name).toBeUndefined();
    }
  });

  it('runs Redis with AOF on and maxmemory-policy noeviction', () => {
    const redis = compose.services.redis;
    expect(flag(redis, '--appendonly')).toBe('yes');
    expect(flag(redis, '--maxmemory-policy')).toBe('noeviction');
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('serves Qwen3-Embedding-8B from vLLM with the embedding flags of the contract', () => {
    for (const [name, s] of vllms) {
      expect(s.image, name).toMatch(/^vllm\/vllm-openai:/);
      expect(flag(s, '--model')).toBe('Qwen/Qwen3-Embedding-8B');
      expect(['embed', 'embedding']).toContain(flag(s, '--task'));
      expect(flag(s, '--dtype')).toBe('bfloat16');
      expect(flag(s, '--max-model-len')).toBe('32768');
      expect(flag(s, '--gpu-memory-utilization')).toBe('0.92');
      expect(flag(s, '--tensor-parallel-size')).toBe('1');
      expect(flag(s, '--port')).toBe('8000');
      expect(args(s)).toContain('--trust-remote-code');
      expect(JSON.stringify(s.healthcheck?.test)).toContain('8000/health');
      expect(devices(s)).toHaveLength(1);
    }
    expect(compose.services['vllm-0'].environment).toBeDefined();
  });

  it('keeps the embedding contract consistent between vLLM and the codeintel services', () => {
    for (const [name, s] of codeintel) {
      expect(s.environment?.VLLM_MODEL, name).toBe('Qwen/Qwen3-Embedding-8B');
      expect(s.environment?.VLLM_MAX_MODEL_LEN, name).toBe('32768');
      // Qwen3-Embedding pools the last token
      expect(s.environment?.VLLM_POOLING, name).toBe('last');
    }
  });

  it('starts every service only after its dependencies are healthy', () => {
    for (const [name, s] of services) {
      if (!s.depends_on) continue;
      expect(Array.isArray(s.depends_on), `${name}: use the long depends_on form with a condition`).toBe(false);
      for (const [dep, spec] of Object.entries(s.depends_on as Record<string, { condition?: string }>)) {
        expect(compose.services[dep], `${name} depends on unknown ${dep}`).toBeDefined();
        expect(spec.condition, `${name} -> ${dep}`).toBe('service_healthy');
        expect(compose.services[dep].healthcheck?.test, `${dep} has no healthcheck`).toBeTruthy();
        expect(compose.services[dep].profiles, `${name} must not depend on the optional ${dep}`).toBeUndefined();
      }
    }
    for (const [name] of codeintel) expect(Object.keys(compose.services[name].depends_on ?? {}), name).toContain('redis');
    expect(Object.keys(compose.services['sink-worker'].depends_on!)).toEqual(expect.arrayContaining(['neo4j', 'opensearch']));
  });

  it('mounts one DATA_DIR volume in every codeintel service', () => {
    expect(codeintel.map(([n]) => n).sort()).toEqual(['answer-worker', 'api', 'gpu-worker-0', 'gpu-worker-1', 'index-worker', 'sink-worker']);
    const mounts = new Set<string>();
    for (const [name, s] of codeintel) {
      const dataDir = s.environment?.DATA_DIR;
      expect(dataDir, name).toBe('/data');
      const mount = s.volumes?.find((v) => v.split(':')[1] === dataDir);
      expect(mount, `${name} does not mount ${dataDir}`).toBeDefined();
      mounts.add(mount!.split(':')[0]);
    }
    expect([...mounts]).toEqual(['codeintel-data']);
    expect(compose.volumes).toHaveProperty('codeintel-data');
  });

  it('runs commands the CLI knows, with real roles', () => {
    const commands = buildCli(async () => {}).commands.map((c) => c.name());
    for (const [name, s] of codeintel) {
      expect(commands, name).toContain(args(s)[0]);
      const role = flag(s, '--role');
      if (role) expect(ROLES as readonly string[]).toContain(role);
    }
    const covered = new Set(codeintel.map(([, s]) => flag(s, '--role')).filter(Boolean));
    expect([...covered].sort()).toEqual([...ROLES].sort());
    expect(args(compose.services.api)).toEqual(['serve', '--roles', 'none']);
  });

  it('points worker health checks at the heartbeat file the workers write', () => {
    expect(existsSync(path.join(ROOT, 'scripts/healthcheck.mjs'))).toBe(true);
    for (const [name, s] of codeintel) {
      const test = (s.healthcheck!.test as string[]).join(' ');
      expect(test, name).toContain('scripts/healthcheck.mjs');
      if (name === 'api') continue;
      expect(test, name).toContain(`--heartbeat ${s.environment?.HEARTBEAT_FILE}`);
    }
  });

  it('runs the API on all interfaces only with bearer tokens and allowed repo roots', () => {
    const env = compose.services.api.environment!;
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.API_TOKENS).toMatch(/^\$\{API_TOKENS:\?/);
    expect(env.REPO_ROOTS).toBe('/repos');
  });

  it('documents every variable it requires in .env.example', () => {
    const required = [...text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    for (const v of new Set(required)) expect(example, v).toMatch(new RegExp(`^${v}=`, 'm'));
  });

  it('gives every codeintel service an environment its config accepts (defaults filled in as compose would)', () => {
    // ${X:-d} -> d, ${X:?msg} -> a placeholder (compose refuses to start without it), ${X} -> ''
    const interpolate = (v: string) =>
      String(v).replace(/\$\{([A-Z0-9_]+)(?::-([^}]*)|:\?[^}]*)?\}/g, (_m, _name, def) => (def !== undefined ? def : 'set-in-env'));
    for (const [name, s] of codeintel) {
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
      const config = loadConfig(env);
      expect(config.dataDir, name).toBe('/data');
      expect(config.vllm.url, name).toMatch(/^http:\/\/vllm-\d:8000\/v1$/);
      expect(config.neo4j?.uri, name).toBe('bolt://neo4j:7687');
      expect(config.opensearch?.url, name).toBe('http://opensearch:9200');
      expect(config.splade.modelDir, name).toBe('/models/splade-v3');
      expect(config.heartbeatFile, name).toBe('/tmp/codeintel.heartbeat');
    }
  });

  it('uses Neo4j 5 and OpenSearch 2', () => {
    expect(compose.services.neo4j.image).toMatch(/^neo4j:5(\.|$)/);
    expect(compose.services.opensearch.image).toMatch(/^opensearchproject\/opensearch:\$\{OPENSEARCH_IMAGE_TAG:-2\./);
  });
});
