import { defineConfig, mergeConfig } from 'vitest/config';
import base, { SCALE_TEST } from './vitest.config';

/** The two-of-everything run on its own, after the rest of `npm test`: one file, nothing beside it. */
export default mergeConfig(base, defineConfig({ test: { include: [SCALE_TEST], exclude: ['**/node_modules/**'] } }));
