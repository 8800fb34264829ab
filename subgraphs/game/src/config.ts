import { baseLocalDefaults, loadConfig, rgsLocalDefaults, subgraphEnv } from '@rgb/kit';
import { z } from 'zod';
import { callbackListener, gameDomain } from './domain';

export const gameEnv = subgraphEnv(gameDomain.api.port).extend({
  PLAYER_URL: z.url().default('http://127.0.0.1:8010'),
  WALLET_URL: z.url().default('http://127.0.0.1:8011'),
  /** Provider callbacks listen apart from the API, on loopback unless a deployment says otherwise. */
  CALLBACK_HOST: z.string().default('127.0.0.1'),
  CALLBACK_PORT: z.coerce.number().int().min(0).max(65535).default(callbackListener.port),
  /** Largest callback body accepted. */
  CALLBACK_MAX_BYTES: z.coerce.number().int().positive().default(16 * 1024),
  /** The platform's own RGS, where `rgs` games are launched, and the platform's X-Operator-Key there. */
  RGS_URL: z.url().default('http://127.0.0.1:8090'),
  RGS_OPERATOR_KEY: z.string().min(16, 'must be at least 16 characters'),
});
export type GameConfig = z.infer<typeof gameEnv>;

export function loadGameConfig(env: NodeJS.ProcessEnv = process.env): GameConfig {
  return loadConfig(gameEnv, { env, localDefaults: { ...baseLocalDefaults, RGS_OPERATOR_KEY: rgsLocalDefaults.RGS_OPERATOR_KEY } });
}
