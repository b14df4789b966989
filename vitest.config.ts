import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // two cores: keep heavy suites (native FAISS, DuckDB, child processes) from starving each other
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
});
