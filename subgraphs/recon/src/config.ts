import { baseLocalDefaults, loadConfig, subgraphEnv, workerEnv } from '@rgb/kit';
import { z } from 'zod';
import { reconDomain, webhookListener } from './domain';

/** Local-profile values of recon's secrets (refused in production). */
export const reconLocalDefaults = {
  ...baseLocalDefaults,
  RECON_SMS_SECRET: 'recon-sms-secret',
  RECON_TELEGRAM_SECRET: 'recon-telegram-secret',
};

/** Where matched deposit requests are approved: the same for the API (matches by hand) and the worker. */
const walletService = {
  WALLET_URL: z.url().default('http://127.0.0.1:8011'),
};

export const reconEnv = subgraphEnv(reconDomain.api.port).extend({
  ...walletService,
  /** The SMS webhook's X-Signature key: hex HMAC-SHA256 of the raw body. */
  RECON_SMS_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** What Telegram sends as X-Telegram-Bot-Api-Secret-Token (the bot's setWebhook secret_token). */
  RECON_TELEGRAM_SECRET: z.string().min(16, 'must be at least 16 characters'),
  /** The webhooks listen apart from the API, on loopback unless a deployment says otherwise. */
  WEBHOOK_HOST: z.string().default('127.0.0.1'),
  WEBHOOK_PORT: z.coerce.number().int().min(0).max(65535).default(webhookListener.port),
  /** Largest webhook body accepted. */
  WEBHOOK_MAX_BYTES: z.coerce.number().int().positive().default(16 * 1024),
});
export type ReconConfig = z.infer<typeof reconEnv>;

export function loadReconConfig(env: NodeJS.ProcessEnv = process.env): ReconConfig {
  return loadConfig(reconEnv, { env, localDefaults: reconLocalDefaults });
}

export const reconWorkerEnv = workerEnv(reconDomain.worker.port).extend({
  ...walletService,
  /** How far apart a deposit text and its request may be made. */
  RECON_MATCH_WINDOW_MINUTES: z.coerce.number().int().positive().default(30),
  /** How long a deposit text with no pending request yet waits for one (tried again meanwhile) before staff review it. */
  RECON_WAIT_FOR_REQUEST_MS: z.coerce.number().int().positive().default(10 * 60_000),
  /** The first retry of a text whose processing failed (the wallet away...); each further one waits twice as long, up to a minute. */
  RECON_RETRY_MS: z.coerce.number().int().positive().default(1_000),
  /** Pushbullet's access token: with it, the worker holds Pushbullet's stream open and stores the app pushes it mirrors. */
  PUSHBULLET_TOKEN: z.string().min(1).optional(),
  /** The recon device (and so the brand) whose phone Pushbullet mirrors. */
  PUSHBULLET_DEVICE_ID: z.string().min(1).optional(),
  PUSHBULLET_STREAM_URL: z.url().default('wss://stream.pushbullet.com/websocket/'),
  /** Apps (package ids or names, comma-separated) whose notifications are stored besides the banks' apps the parsers know. */
  PUSHBULLET_APPS: z
    .string()
    .default('')
    .transform((list) => list.split(',').map((app) => app.trim()).filter(Boolean)),
}).refine((env) => !env.PUSHBULLET_TOKEN || env.PUSHBULLET_DEVICE_ID, { message: 'PUSHBULLET_DEVICE_ID is required with PUSHBULLET_TOKEN', path: ['PUSHBULLET_DEVICE_ID'] });
export type ReconWorkerConfig = z.infer<typeof reconWorkerEnv>;

export function loadReconWorkerConfig(env: NodeJS.ProcessEnv = process.env): ReconWorkerConfig {
  return loadConfig(reconWorkerEnv, { env, localDefaults: baseLocalDefaults });
}
