/** `extensions.code` values of expected business failures, shared by every subgraph and the router. */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  /** The router's rate limit (retry after the `Retry-After` header's seconds) or the login throttle (after `extensions.retryAfterSeconds`). */
  RATE_LIMITED: 'RATE_LIMITED',
  /** Provider money calls (docs/api/providers.md). */
  DUPLICATE_TRANSACTION: 'DUPLICATE_TRANSACTION',
  TRANSACTION_NOT_FOUND: 'TRANSACTION_NOT_FOUND',
  TRANSACTION_ROLLED_BACK: 'TRANSACTION_ROLLED_BACK',
  /** A withdrawal while a wagering (rolling) requirement is not yet turned over. */
  ROLLING_INCOMPLETE: 'ROLLING_INCOMPLETE',
  /** A coupon that exists but cannot be redeemed now: `extensions.reason` says why (docs/api/frontends.md "Coupons"). */
  COUPON_UNAVAILABLE: 'COUPON_UNAVAILABLE',
  /** A service behind the router did not answer: the fields it serves are null, the rest of the answer stands; retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An expected business failure. Domain code throws it; GraphQL, REST shims and workers
 * each turn it into their own shape (GraphQL: `extensions.code`).
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Facts a caller may act on (the balance of an INSUFFICIENT_FUNDS), shown in `extensions`. */
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

export const unauthenticated = (message = 'authentication required') =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'not allowed') => new DomainError(ErrorCode.FORBIDDEN, message);
export const badUserInput = (message: string) => new DomainError(ErrorCode.BAD_USER_INPUT, message);
export const notFound = (message: string) => new DomainError(ErrorCode.NOT_FOUND, message);
export const conflict = (message: string) => new DomainError(ErrorCode.CONFLICT, message);
export const rateLimited = (message: string, retryAfterSeconds: number) =>
  new DomainError(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds });
/** A service this answer depends on did not answer: nothing is decided without it; retry later. */
export const serviceUnavailable = (message: string) => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, message);
