import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** The two-of-everything run (`npm run test:scale`). */
export const SCALE_TEST = 'e2e/scale.test.ts';

export default defineConfig({
  resolve: {
    // The entry Node resolves for `graphql` (index.js), so the code under test and the CommonJS
    // libraries it runs with (the gateway, the subgraph builder) share one graphql instance.
    alias: [{ find: /^graphql$/, replacement: fileURLToPath(new URL('./node_modules/graphql/index.js', import.meta.url)) }],
  },
  test: {
    include: ['{packages,subgraphs,apps}/*/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    // Run alone afterwards (vitest.scale.config.ts): its 36 processes would compete with the other files for cores and connections.
    exclude: ['**/node_modules/**', SCALE_TEST],
    globalSetup: ['./packages/db/src/testing/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
