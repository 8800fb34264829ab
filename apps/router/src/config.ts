import { baseEnv, baseLocalDefaults, listenEnv, loadConfig } from '@rgb/kit';
import { z } from 'zod';
import { routerProcess } from './manifest';

export const routerEnv = baseEnv.extend({
  ...listenEnv(routerProcess.port, 'api'),
  SUPERGRAPH_CONFIG: z.string().default(new URL('../../../supergraph.yaml', import.meta.url).pathname),
  MULTI_BRAND_ENFORCEMENT: z.enum(['off', 'observe', 'enforce']).default('enforce'),
  /** Operation limits: lexer tokens of a document (counted while parsing), depth, aliases, directives, cost. */
  MAX_QUERY_TOKENS: z.coerce.number().int().positive().default(2_000),
  MAX_QUERY_DEPTH: z.coerce.number().int().positive().default(12),
  MAX_QUERY_ALIASES: z.coerce.number().int().positive().default(30),
  MAX_QUERY_DIRECTIVES: z.coerce.number().int().positive().default(50),
  MAX_QUERY_COST: z.coerce.number().int().positive().default(5_000),
  MAX_BODY_BYTES: z.coerce.number().int().positive().default(64 * 1024),
  /** Rate limits (requests per minute, and at once above that pace) per client address without a token and per signed-in caller; 0 per minute turns one off. */
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(0).default(300),
  RATE_LIMIT_ANONYMOUS_BURST: z.coerce.number().int().positive().default(60),
  RATE_LIMIT_CALLER_PER_MINUTE: z.coerce.number().int().min(0).default(1_200),
  RATE_LIMIT_CALLER_BURST: z.coerce.number().int().positive().default(120),
  /** Proxies in front of the router whose X-Forwarded-For is believed (0: the client address is the peer's). */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).default(0),
  /** The game subgraph's provider callback listener (loopback). */
  GAME_CALLBACK_URL: z.url().default('http://127.0.0.1:8112'),
  /** The recon subgraph's bank-text webhook listener (loopback): where `/webhooks/*` goes. */
  RECON_WEBHOOK_URL: z.url().default('http://127.0.0.1:8117'),
});
export type RouterConfig = z.infer<typeof routerEnv>;

export function loadRouterConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  return loadConfig(routerEnv, { env, localDefaults: baseLocalDefaults });
}
