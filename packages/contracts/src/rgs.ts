import { z } from 'zod';

/**
 * The RGS operator API (docs/api/rgs-operators.md) as both sides read it: the RGS
 * parses requests with these schemas, and the game subgraph, which launches `rgs` games as the
 * platform's operator, parses the answers with them.
 */

/** The RGS's provider code at the platform: its callbacks are /callbacks/rgs/{action}. */
export const RGS_PROVIDER_CODE = 'rgs';

/** The header every RGS request carries the operator's API key in. */
export const OPERATOR_KEY_HEADER = 'x-operator-key';

/** A client seed: 1 to 64 printable characters (it is hashed into every roll of its pair). */
export const clientSeedSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII');

/** A session token as a request carries it (the RGS issues 43 characters). */
export const sessionTokenSchema = z.string().min(1).max(200);

export const rgsLaunchRequest = z.object({
  /** The operator's id of the player (the platform's `{brand_code}_{username}`): the callbacks' `account`. */
  player_id: z.string().min(1).max(100),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
  game_code: z.string().min(1).max(64),
  /** ISO 3166 alpha-2 of where the player plays; the operator's default when absent. */
  jurisdiction: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code')
    .optional(),
  client_seed: clientSeedSchema.optional(),
});
export type RgsLaunchRequest = z.infer<typeof rgsLaunchRequest>;

/** A session as launch and verify answer it, with the commitment of the seed pair the next bet plays. */
export const rgsSessionView = z.object({
  session_id: z.string(),
  player_id: z.string(),
  currency: z.string(),
  game_code: z.string(),
  jurisdiction: z.string(),
  expires_at: z.string(),
  server_seed_hash: z.string(),
  client_seed: z.string(),
  nonce: z.number().int(),
});
export type RgsSessionView = z.infer<typeof rgsSessionView>;

export const rgsLaunchResponse = rgsSessionView.extend({
  session_token: z.string(),
  /** Where the player opens the game. */
  url: z.string(),
});
export type RgsLaunchResponse = z.infer<typeof rgsLaunchResponse>;

/** Every refusal of the RGS: `{"error":{"code","message"}}` with the status of its code. */
export const rgsRefusal = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
