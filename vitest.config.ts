import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // 2-core machines: DuckDB and parquet-wasm are CPU-bound, so keep workers few.
    maxWorkers: 2,
  },
});
