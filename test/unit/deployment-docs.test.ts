import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configVariables } from '../../src/config/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

describe('deployment docs', () => {
  it('docs/configuration.md has a row for every environment variable of the config schema', () => {
    const doc = read('docs/configuration.md');
    const vars = configVariables;
    expect(vars.length).toBeGreaterThan(80);
    const missing = vars.filter((v) => !new RegExp(`^\\| \`${v}\` \\|`, 'm').test(doc));
    expect(missing, `add these to docs/configuration.md`).toEqual([]);
  });

  it('says that SPLADE-v3 weights are CC-BY-NC-SA-4.0 (non-commercial)', () => {
    for (const f of ['docs/deployment.md', 'docs/runbook.md']) {
      expect(read(f), f).toMatch(/CC-BY-NC-SA-4\.0/);
      expect(read(f), f).toMatch(/non-commercial/i);
    }
  });

  it('covers the runbook cases the GPU diagnosis and alerts point to', () => {
    const runbook = read('docs/runbook.md');
    for (const h of ['vLLM OOM', 'vLLM down', 'GPU not visible', 'SPLADE model missing', 'Neo4j or OpenSearch down', 'Redis memory', 'Stuck flows']) {
      expect(runbook).toMatch(new RegExp(`^## ${h}$`, 'm'));
    }
  });

  it('has no broken relative links between the docs', () => {
    for (const f of ['docs/deployment.md', 'docs/gpu-prerequisites.md', 'docs/runbook.md', 'docs/configuration.md']) {
      for (const [, target] of read(f).matchAll(/\]\(([^)#:]+\.md)(#[^)]*)?\)/g)) {
        expect(existsSync(path.join(ROOT, path.dirname(f), target)), `${f} links to ${target}`).toBe(true);
      }
    }
  });
});
