import { ErrorCode } from '@rgb/contracts';

/** Every legacy answer: `code` 0, `"ok"` and the data; or a non-zero `code`, a message and `data: null`. */
export interface Envelope {
  code: number;
  message: string;
  data: object | null;
}

export const ok = (data: object): Envelope => ({ code: 0, message: 'ok', data });

/**
 * What a legacy client gets for each refusal, by the GraphQL `extensions.code` (or the edge's,
 * or the shim's own): the HTTP status and the legacy `code`, `status * 100 + n`.
 */
const LEGACY_CODES: Record<string, { status: number; code: number }> = {
  [ErrorCode.BAD_USER_INPUT]: { status: 400, code: 40000 },
  // The shims' documents are valid (a test proves it), but an operation limit may still refuse one.
  GRAPHQL_VALIDATION_FAILED: { status: 400, code: 40000 },
  [ErrorCode.UNAUTHENTICATED]: { status: 401, code: 40100 },
  [ErrorCode.FORBIDDEN]: { status: 403, code: 40300 },
  [ErrorCode.NOT_FOUND]: { status: 404, code: 40400 },
  METHOD_NOT_ALLOWED: { status: 405, code: 40500 },
  [ErrorCode.CONFLICT]: { status: 409, code: 40900 },
  PAYLOAD_TOO_LARGE: { status: 413, code: 41300 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 41500 },
  UNKNOWN_HOST: { status: 421, code: 42100 },
  [ErrorCode.INSUFFICIENT_FUNDS]: { status: 422, code: 42201 },
  [ErrorCode.ROLLING_INCOMPLETE]: { status: 422, code: 42202 },
  [ErrorCode.RATE_LIMITED]: { status: 429, code: 42900 },
  [ErrorCode.SERVICE_UNAVAILABLE]: { status: 503, code: 50300 },
};
const INTERNAL = { status: 500, code: 50000 };
const INTERNAL_MESSAGE = 'Internal server error';

/** A refusal on its way to a legacy client: thrown by a route's mapping, or made from a GraphQL error or an edge refusal. */
export class LegacyFailure extends Error {
  constructor(
    /** A GraphQL `extensions.code`, or one of the shims' own in the table above. */
    readonly code: string,
    message: string,
    /** Set on a RATE_LIMITED: the answer's `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * The status and envelope of a refusal. Any other code is a 500 whose message is masked, as
 * GraphQL masks an unexpected error; `unmapped` says it was an expected code the table lacks,
 * which nothing else logs.
 */
export function failureOf({ code, message }: LegacyFailure): { status: number; body: Envelope; unmapped: boolean } {
  const mapped = LEGACY_CODES[code];
  if (!mapped) return { status: INTERNAL.status, body: { code: INTERNAL.code, message: INTERNAL_MESSAGE, data: null }, unmapped: code !== ErrorCode.INTERNAL_SERVER_ERROR };
  return { status: mapped.status, body: { code: mapped.code, message, data: null }, unmapped: false };
}

