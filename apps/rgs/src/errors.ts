/**
 * Every refusal of the RGS API, by code, with its HTTP status. The body is always
 * `{"error":{"code","message"}}` (packages/contracts rgsRefusal).
 */
export const RGS_REFUSALS = {
  /** A malformed body, a missing or empty Idempotency-Key, a bad amount or pick. */
  INVALID_REQUEST: 400,
  /** No X-Operator-Key, or one no operator has. */
  UNAUTHENTICATED: 401,
  /** A session token no session of the calling operator has (another operator's included). */
  SESSION_INVALID: 401,
  SESSION_REVOKED: 401,
  SESSION_EXPIRED: 401,
  /** A round, game or player the calling operator does not have. */
  NOT_FOUND: 404,
  /** A launch naming another currency than the player's. */
  CURRENCY_MISMATCH: 409,
  /** An Idempotency-Key already used with other parameters. */
  IDEMPOTENCY_KEY_REUSED: 409,
  /** An Idempotency-Key whose first request is still being answered: retry shortly. */
  BET_IN_PROGRESS: 409,
  /** Compliance: each refusal is audited. */
  JURISDICTION_BLOCKED: 403,
  MAX_BET_EXCEEDED: 403,
  DAILY_LOSS_LIMIT_REACHED: 403,
  DAILY_WIN_LIMIT_REACHED: 403,
  /** Responsible gaming: the player's own limits and self-exclusion (responsible-gaming.ts), each refusal audited. */
  SELF_EXCLUDED: 403,
  PLAYER_LOSS_LIMIT_REACHED: 403,
  PLAYER_WAGER_LIMIT_REACHED: 403,
  /** The session's play time is over: the bet is refused and the session ended. */
  SESSION_TIME_LIMIT_REACHED: 403,
  /** The reality-check interval has passed since the last check: POST /sessions/reality-check, then bet. */
  REALITY_CHECK_REQUIRED: 403,
  /** The operator's limits for the bet's currency could not be read: the bet is refused, not let through. */
  LIMITS_UNAVAILABLE: 503,
  /** The platform refused the stake (its error_code is the code: INSUFFICIENT_FUNDS, ACCOUNT_BLOCKED...): the bet is void. */
  WALLET_REFUSED: 422,
  /** The platform did not answer the debit: the bet is void and its rollback guaranteed. */
  WALLET_UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
} as const;
export type RgsRefusalCode = keyof typeof RGS_REFUSALS;

/** An expected refusal: answered with its status and code, never logged as a fault. */
export class RgsError extends Error {
  override readonly name = 'RgsError';
  readonly status: number;

  constructor(
    /** The refusal's code, or for WALLET_REFUSED the platform's own error_code. */
    readonly code: string,
    message: string,
    kind: RgsRefusalCode = code as RgsRefusalCode,
  ) {
    super(message);
    this.status = RGS_REFUSALS[kind];
  }
}

export const invalidRequest = (message: string) => new RgsError('INVALID_REQUEST', message);
export const notFound = (message: string) => new RgsError('NOT_FOUND', message);
