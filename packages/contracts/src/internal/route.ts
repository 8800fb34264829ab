import { z } from 'zod';
import type { ErrorCode } from '../errors';

/**
 * The HTTP status of each refusal an `/internal/*` route may answer, as `{ error: { code,
 * message, ...details } }`. Anything else a route answers outside 2xx is a fault, not an answer.
 */
export const REFUSAL_STATUS = {
  BAD_USER_INPUT: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  DUPLICATE_TRANSACTION: 409,
  TRANSACTION_NOT_FOUND: 404,
  TRANSACTION_ROLLED_BACK: 409,
  INSUFFICIENT_FUNDS: 422,
} as const satisfies Partial<Record<ErrorCode, number>>;
export type RefusalCode = keyof typeof REFUSAL_STATUS;

/** The body of a refusal; BAD_USER_INPUT (a request its schema refuses) is one of every route. */
export type RouteRefusal<Code extends RefusalCode, Details extends z.ZodRawShape> = { code: Code; message: string } & z.output<z.ZodObject<Details>>;

/**
 * One `/internal/*` route, described once for both sides: the server parses its request with
 * `request` and answers `response` (or a refusal among `errors`); the client sends `toWire` of
 * what it holds and parses the answer with `response` or `refusal`.
 */
export interface InternalRoute<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType, Code extends RefusalCode = RefusalCode, Details extends z.ZodRawShape = z.ZodRawShape> {
  /** `GET /internal/brands`: how errors and logs name the route. */
  readonly name: string;
  readonly method: 'GET' | 'POST';
  /** Fastify's form: a `:field` segment is filled from the request's field of that name. */
  readonly path: string;
  readonly pathParams: readonly string[];
  /** The JSON body (POST), or the query and path parameters (GET), as sent; parsing gives what the handler takes. */
  readonly request: Req;
  /** What the caller holds (the parsed form) as sent: no validation, the server's parse does that. */
  readonly toWire: (request: z.output<Req>) => z.input<Req>;
  readonly response: Res;
  readonly errors: readonly Code[];
  readonly refusal: z.ZodType<{ error: RouteRefusal<Code, Details> }>;
}

/** Any route, whatever its schemas: what code generic over routes takes. */
export type AnyRoute = InternalRoute<any, any, any, any>;

export type RouteRequest<R extends AnyRoute> = z.output<R['request']>;
export type RouteWireRequest<R extends AnyRoute> = z.input<R['request']>;
export type RouteResponse<R extends AnyRoute> = z.output<R['response']>;
/** The answer a handler gives, before the client's parse. */
export type RouteWireResponse<R extends AnyRoute> = z.input<R['response']>;
export type RefusalOf<R extends AnyRoute> = R extends InternalRoute<any, any, infer Code, infer Details> ? RouteRefusal<Code, Details> : never;

/** `toWire` may be left out only when the parsed request is already its wire form. */
type WireMapping<Req extends z.ZodType> = [z.output<Req>] extends [z.input<Req>]
  ? { toWire?: (request: z.output<Req>) => z.input<Req> }
  : { toWire: (request: z.output<Req>) => z.input<Req> };

export interface RouteSpec<Req extends z.ZodType, Res extends z.ZodType, Code extends RefusalCode, Details extends z.ZodRawShape> {
  method: 'GET' | 'POST';
  path: string;
  request: Req;
  response: Res;
  /** The refusals the route's handler may answer (BAD_USER_INPUT is always one). */
  errors?: readonly Code[];
  /** Facts a refusal carries besides code and message (the balance of a money refusal). */
  refusalDetails?: Details;
}

const identity = <T>(value: T) => value;

/** Builds a route's schemas once: zod compiles a schema on its first use, and the hot path must not pay that again. */
export function defineRoute<Req extends z.ZodType, Res extends z.ZodType, const Code extends RefusalCode = never, Details extends z.ZodRawShape = Record<never, never>>(
  spec: RouteSpec<Req, Res, Code, Details> & WireMapping<Req>,
): InternalRoute<Req, Res, Code | 'BAD_USER_INPUT', Details> {
  const errors = [...new Set<Code | 'BAD_USER_INPUT'>(['BAD_USER_INPUT', ...(spec.errors ?? [])])];
  const refusal = z.object({
    error: z.object({ code: z.enum(errors as [Code | 'BAD_USER_INPUT', ...(Code | 'BAD_USER_INPUT')[]]), message: z.string(), ...(spec.refusalDetails ?? {}) }),
  });
  return {
    name: `${spec.method} ${spec.path}`,
    method: spec.method,
    path: spec.path,
    pathParams: [...spec.path.matchAll(/:(\w+)/g)].map((match) => match[1]!),
    request: spec.request,
    toWire: (spec.toWire ?? identity) as (request: z.output<Req>) => z.input<Req>,
    response: spec.response,
    errors,
    refusal: refusal as unknown as z.ZodType<{ error: RouteRefusal<Code | 'BAD_USER_INPUT', Details> }>,
  };
}

/** `path: message; ...` of a refused request, as every internal route answers it. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`).join('; ');
}
