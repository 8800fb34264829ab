import { baseLocalDefaults, loadConfig, subgraphEnv } from '@rgb/kit';
import { z } from 'zod';
import { walletDomain } from './domain';

export const walletEnv = subgraphEnv(walletDomain.api.port).extend({
  /** Where every withdrawal is checked against the player's wagering requirements first. */
  ROLLING_URL: z.url().default('http://127.0.0.1:8013'),
  /** Longest wait for rolling's answer to a withdrawal check: past it the withdrawal is refused, never let through. */
  ROLLING_RESPONSE_TIMEOUT_MS: z.coerce.number().int().positive().default(1_000),
});
export type WalletConfig = z.infer<typeof walletEnv>;

export function loadWalletConfig(env: NodeJS.ProcessEnv = process.env): WalletConfig {
  return loadConfig(walletEnv, { env, localDefaults: baseLocalDefaults });
}
