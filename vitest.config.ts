import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{packages,subgraphs,apps}/*/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    globalSetup: ['./packages/db/src/testing/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
