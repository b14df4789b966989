/**
 * The import-boundary check (run by `npm test`): modules are ordered bottom to
 * top, and a module may import only itself and modules below it. A total order
 * leaves no room for cycles between modules; `no-circular` also refuses cycles
 * between files inside a module. docs/architecture.md explains each layer.
 */
const LAYERS = [
  // foundation: imports nothing of ours but what is listed before it
  'src/errors',
  'src/contracts',
  'src/resilience',
  'src/observability',
  'src/config',
  'src/text',
  'src/pathFilter',
  // adapters
  'src/artifacts',
  'src/repo',
  'src/queue',
  'src/chunking',
  'src/catalog',
  'src/manifest',
  'src/embedding',
  'src/sparse',
  'src/gpu',
  'src/vector',
  'src/sinks',
  // domain logic
  'src/retrieval',
  'src/indexing',
  'src/answer',
  // interfaces
  'src/api',
  'src/mcp',
  'src/cli',
  // processors
  'jobs',
  // the composition root
  'dashboard',
  'workers',
  'bin',
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer:${layer}`,
  comment: `${layer} may import only itself and the modules below it (${LAYERS.slice(0, i).join(', ') || 'none'})`,
  severity: 'error',
  from: { path: `^${escape(layer)}/` },
  to: { path: `^(${LAYERS.slice(i + 1).map(escape).join('|')})/` },
}));

const config = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'no import cycle, between modules or between the files of one',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-test-or-bench-in-product',
      comment: 'product code never imports tests or benchmarks',
      severity: 'error',
      from: { path: `^(${LAYERS.map(escape).join('|')})/` },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'known-modules-only',
      comment: 'every product file belongs to a layer of this list; a new module is added here on purpose',
      severity: 'error',
      from: { path: '^(src|jobs|workers|dashboard|bin)/', pathNot: `^(${LAYERS.map(escape).join('|')})/` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|test/fixtures|native/[^/]+/build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};

// LAYERS is read by test/unit/architecture-docs.test.ts; dependency-cruiser sees only the config
module.exports = config;
Object.defineProperty(module.exports, 'LAYERS', { value: LAYERS, enumerable: false });
