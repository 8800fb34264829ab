import { defineConfig } from 'vitest/config';
import base, { SCALE_TEST } from './vitest.config.ts';

/** The two-of-everything run on its own, after the rest of `npm test`: one file, nothing beside it. */
export default defineConfig({ ...base, test: { ...base.test, include: [SCALE_TEST], exclude: ['**/node_modules/**'] } });
