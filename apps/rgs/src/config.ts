import { baseEnv, baseLocalDefaults, databaseEnv, listenEnv, loadConfig, rgsLocalDefaults } from '@rgb/kit';
import { z } from 'zod';
import { rgsProcess } from './manifest';

const positive = z.coerce.number().int().positive();

export const rgsEnv = baseEnv
  // The RGS signs no tokens and reads no brand catalogue: its callers are operators (X-Operator-Key).
  .omit({ AUTH_JWT_SECRET: true, INTERNAL_JWT_SECRET: true, ADMIN_URL: true })
  .extend({
    ...databaseEnv,
    ...listenEnv(rgsProcess.port, 'api'),
    /** AES-256 key (64 hex characters) sealing the operators' provider and webhook secrets and unrevealed server seeds. */
    RGS_SECRETS_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (32 bytes)'),
    /** Where players open a game: launch answers `{RGS_PUBLIC_URL}/play?...`. */
    RGS_PUBLIC_URL: z.url().default('http://localhost:8090'),
    RGS_SESSION_TTL_SECONDS: positive.default(2 * 60 * 60),
    /** Requests per minute of one operator, and how many may come at once above that pace (0 per minute: off). */
    RGS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60_000),
    RGS_RATE_LIMIT_BURST: positive.default(2_000),
    /** The callbacks to the platform: longest wait for a connection, and for the answer. */
    RGS_WALLET_CONNECT_TIMEOUT_MS: positive.default(2_000),
    RGS_WALLET_RESPONSE_TIMEOUT_MS: positive.default(5_000),
    /** How long one attempt at a settlement holds it before another instance (or this one, restarted) may try. */
    RGS_SETTLEMENT_LEASE_MS: positive.default(30_000),
    /** The wait after a failed attempt, doubling per attempt up to the maximum. */
    RGS_SETTLEMENT_RETRY_MS: positive.default(1_000),
    RGS_SETTLEMENT_MAX_RETRY_MS: positive.default(60_000),
    /** Attempts after which a settlement is failed loudly (health, metric, audit) and left for a person. */
    RGS_SETTLEMENT_MAX_ATTEMPTS: positive.default(20),
    /** How often the settlement loop looks for due work when it found none. */
    RGS_SETTLEMENT_POLL_MS: positive.default(200),
    /** Webhooks: the receiver's connect and answer timeouts; an attempt's lease (more than both). */
    RGS_WEBHOOK_CONNECT_TIMEOUT_MS: positive.default(2_000),
    RGS_WEBHOOK_RESPONSE_TIMEOUT_MS: positive.default(5_000),
    RGS_WEBHOOK_LEASE_MS: positive.default(30_000),
    /** The wait after a failed attempt, doubling up to the maximum, each taken between half and all of it (jitter). */
    RGS_WEBHOOK_RETRY_MS: positive.default(1_000),
    RGS_WEBHOOK_MAX_RETRY_MS: positive.default(300_000),
    /** Attempts after which an event's delivery is failed (audited) and the operator's next event goes. */
    RGS_WEBHOOK_MAX_ATTEMPTS: positive.default(12),
    RGS_WEBHOOK_POLL_MS: positive.default(200),
    /** Events are kept this many days (then pruned, never before their webhook is delivered or failed). */
    RGS_EVENT_RETENTION_DAYS: positive.default(30),
    /** GET /stream: how often new commits are looked for, the heartbeat comment's period. */
    RGS_STREAM_POLL_MS: positive.default(200),
    RGS_STREAM_HEARTBEAT_MS: positive.default(15_000),
    /** A stream's unsent bytes past which no more events are read for it, and how long they may stay past it before the client is cut. */
    RGS_STREAM_BUFFER_BYTES: positive.default(256 * 1024),
    RGS_STREAM_SLOW_CLIENT_MS: positive.default(10_000),
  })
  .refine((config) => config.RGS_SETTLEMENT_LEASE_MS > config.RGS_WALLET_CONNECT_TIMEOUT_MS + config.RGS_WALLET_RESPONSE_TIMEOUT_MS, {
    message: 'must exceed RGS_WALLET_CONNECT_TIMEOUT_MS + RGS_WALLET_RESPONSE_TIMEOUT_MS, or an attempt still in flight could be taken over',
    path: ['RGS_SETTLEMENT_LEASE_MS'],
  })
  .refine((config) => config.RGS_WEBHOOK_LEASE_MS > config.RGS_WEBHOOK_CONNECT_TIMEOUT_MS + config.RGS_WEBHOOK_RESPONSE_TIMEOUT_MS, {
    message: 'must exceed RGS_WEBHOOK_CONNECT_TIMEOUT_MS + RGS_WEBHOOK_RESPONSE_TIMEOUT_MS, or another instance could send an event still in flight',
    path: ['RGS_WEBHOOK_LEASE_MS'],
  });
export type RgsConfig = z.infer<typeof rgsEnv>;

export function loadRgsConfig(env: NodeJS.ProcessEnv = process.env): RgsConfig {
  return loadConfig(rgsEnv, { env, localDefaults: { ...baseLocalDefaults, RGS_SECRETS_KEY: rgsLocalDefaults.RGS_SECRETS_KEY } });
}
