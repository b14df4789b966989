import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../src/observability/metrics.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Metric names a createMetrics registry exports, with the series names histograms add. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics({ vllm: { endpoint: 'http://v/health', healthy: async () => true } });
  metrics.trackGpu(async () => 1, { device: 0, required: true });
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** Metrics that come from elsewhere: Prometheus itself and NVIDIA's dcgm-exporter. */
const EXTERNAL = /^(up|DCGM_FI_[A-Z_]+)$/;

const PROMQL_WORDS = new Set([
  'sum', 'max', 'min', 'avg', 'count', 'rate', 'increase', 'irate', 'histogram_quantile', 'by', 'on', 'and', 'or', 'unless',
  'without', 'group', 'group_left', 'group_right', 'ignoring', 'max_over_time', 'min_over_time', 'avg_over_time', 'absent', 'bool',
]);

/** The metric names a PromQL expression reads (label matchers, grouping clauses, strings and numbers removed). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const words = stripped.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return words.filter((w) => !PROMQL_WORDS.has(w));
}

describe('vllm_up and gpu_visible: alertable health on /metrics', () => {
  it('exports no vllm_up series without a vLLM endpoint, and follows the health check when there is one', async () => {
    expect(await createMetrics({ defaultMetrics: false }).registry.getSingleMetricAsString('vllm_up')).not.toMatch(/^vllm_up\{/m);
    let healthy = true;
    const m = createMetrics({ defaultMetrics: false, probeTtlMs: 0, vllm: { endpoint: 'http://vllm:8000/health', healthy: async () => healthy } });
    expect(await m.registry.getSingleMetricAsString('vllm_up')).toContain('vllm_up{endpoint="http://vllm:8000/health"} 1');
    healthy = false;
    expect(await m.registry.getSingleMetricAsString('vllm_up')).toContain('vllm_up{endpoint="http://vllm:8000/health"} 0');
  });

  it('treats a health check that throws as down', async () => {
    const m = createMetrics({ defaultMetrics: false, vllm: { endpoint: 'e', healthy: async () => Promise.reject(new Error('boom')) } });
    expect(await m.registry.getSingleMetricAsString('vllm_up')).toContain('vllm_up{endpoint="e"} 0');
  });

  it('reuses a probe answer within its time to live, so scrapes do not hammer the server', async () => {
    let calls = 0;
    const m = createMetrics({ defaultMetrics: false, probeTtlMs: 60_000, vllm: { endpoint: 'e', healthy: async () => (++calls, true) } });
    await m.registry.metrics();
    await m.registry.metrics();
    expect(calls).toBe(1);
  });

  it('exports gpu_visible only once a gpu worker tracks it, labelled with device and REQUIRE_GPU', async () => {
    const m = createMetrics({ defaultMetrics: false, probeTtlMs: 0 });
    expect(await m.registry.getSingleMetricAsString('gpu_visible')).not.toMatch(/^gpu_visible\{/m);
    let visible = 1;
    m.trackGpu(async () => visible, { device: 2, required: true });
    expect(await m.registry.getSingleMetricAsString('gpu_visible')).toContain('gpu_visible{device="2",required="true"} 1');
    visible = 0;
    expect(await m.registry.getSingleMetricAsString('gpu_visible')).toContain('gpu_visible{device="2",required="true"} 0');
  });
});

describe('dashboard/grafana/codeintel.json', () => {
  it('plots only metrics codeintel exports (or DCGM GPU metrics), including every GPU-stage metric', async () => {
    const dashboard = JSON.parse(await fs.readFile(path.join(ROOT, 'dashboard/grafana/codeintel.json'), 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: { expr: string }[] }) => (p.targets ?? []).map((t) => t.expr));
    const known = await exportedNames();
    const used = new Set(exprs.flatMap(metricNames));
    const unknown = [...used].filter((n) => !known.has(n) && !EXTERNAL.test(n));
    expect(unknown).toEqual([]);
    for (const name of ['embed_chunks_sec', 'embed_latency_ms_bucket', 'embed_batch_size_bucket', 'splade_chunks_total', 'splade_latency_ms_bucket', 'gpu_oom_total', 'queue_jobs', 'job_duration_ms_bucket', 'vllm_up', 'gpu_visible']) {
      expect(used, name).toContain(name);
    }
    expect(dashboard.uid).toBe('codeintel-gpu');
    expect(new Set(dashboard.panels.map((p: { id: number }) => p.id)).size).toBe(dashboard.panels.length);
  });
});

describe('dashboard/prometheus/alerts.yml', () => {
  it('alerts on vLLM down, GPU not visible and throughput below target, over exported metrics', async () => {
    const doc = parseYaml(await fs.readFile(path.join(ROOT, 'dashboard/prometheus/alerts.yml'), 'utf8')) as {
      groups: { name: string; rules: { alert: string; expr: string; for?: string; labels: { severity: string }; annotations: { summary: string } }[] }[];
    };
    const rules = doc.groups.flatMap((g) => g.rules);
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));
    expect(Object.keys(byName)).toEqual(expect.arrayContaining(['VLLMDown', 'GpuNotVisible', 'EmbeddingThroughputLow', 'SpladeThroughputLow']));
    expect(byName.VLLMDown.expr).toMatch(/vllm_up\)? == 0/);
    expect(byName.GpuNotVisible.expr).toContain('gpu_visible{required="true"} == 0');
    expect(byName.EmbeddingThroughputLow.expr).toMatch(/embed_chunks_total.*< 1000/s);
    const known = await exportedNames();
    for (const r of rules) {
      expect(['critical', 'warning']).toContain(r.labels.severity);
      expect(r.annotations.summary).toBeTruthy();
      expect(metricNames(r.expr).filter((n) => !known.has(n) && !EXTERNAL.test(n)), r.alert).toEqual([]);
    }
  });
});

/** promtool ships with Prometheus (Debian: apt-get install prometheus); without it these checks are skipped, saying so. */
const promtool = (() => {
  try {
    execFileSync('promtool', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!promtool)('alert rules under promtool (skipped: promtool is not installed)', () => {
  it('pass `promtool check rules` and fire exactly when dashboard/prometheus/alerts.test.yml says', () => {
    const dir = path.join(ROOT, 'dashboard/prometheus');
    const check = spawnSync('promtool', ['check', 'rules', 'alerts.yml'], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: dir, encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
  });
});
