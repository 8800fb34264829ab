import { baseLocalDefaults, loadConfig, subgraphEnv, workerEnv } from '@rgb/kit';
import { z } from 'zod';
import { rollingDomain } from './domain';

export const rollingEnv = subgraphEnv(rollingDomain.api.port);
export type RollingConfig = z.infer<typeof rollingEnv>;

export function loadRollingConfig(env: NodeJS.ProcessEnv = process.env): RollingConfig {
  return loadConfig(rollingEnv, { env, localDefaults: baseLocalDefaults });
}

export const rollingWorkerEnv = workerEnv(rollingDomain.worker.port).extend({
  /** Where completions are confirmed (ROLLING_COMPLETED_CONFIRMED). */
  WALLET_URL: z.url().default('http://127.0.0.1:8011'),
  /** The first retry of a completion the wallet did not confirm; each further one waits twice as long, up to a minute. */
  COMPLETION_RETRY_MS: z.coerce.number().int().positive().default(1_000),
});
export type RollingWorkerConfig = z.infer<typeof rollingWorkerEnv>;

export function loadRollingWorkerConfig(env: NodeJS.ProcessEnv = process.env): RollingWorkerConfig {
  return loadConfig(rollingWorkerEnv, { env, localDefaults: baseLocalDefaults });
}
