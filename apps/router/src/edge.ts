import { TokenError, type TokenService } from '@rgb/auth';
import { ErrorCode } from '@rgb/contracts';
import type { BrandCatalog, CatalogBrand, SessionRevocations, UserCaller } from '@rgb/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { EdgeRefusal } from './edge-refusal';
import { admitStaffCaller, type StaffAccessCache } from './staff-access';
import type { RateLimiter } from './rate-limit';

export type BrandEnforcement = 'off' | 'observe' | 'enforce';

/** Who a request speaks for, as settled at the edge. */
export interface Edge {
  /** The brand the request acts for: the host's, or under observe/off the token's own when they differ. */
  brand: CatalogBrand;
  hostBrand: CatalogBrand;
  caller: UserCaller | null;
  /** When the caller's token expires (ms since the epoch); null without a caller. */
  expiresAt: number | null;
}

export { EdgeRefusal };

export interface EdgeOptions {
  catalog: BrandCatalog;
  userTokens: TokenService;
  enforcement: BrandEnforcement;
  mismatches: Counter<'mode' | 'audience'>;
  revocations: SessionRevocations;
  revocationCheckFailures: Counter;
  staffAccess: StaffAccessCache;
}

/**
 * Brand from the Host header (ADR-009), caller from the bearer token, and the comparison of
 * the two. A present but invalid token is refused rather than treated as anonymous. A staff
 * caller gets what they may do now, or is refused (staff-access.ts).
 */
export async function resolveEdge(options: EdgeOptions, host: string | undefined, authorization: string | undefined, log: Logger): Promise<Edge> {
  const edge = await identifyCaller(options, host, authorization, log);
  if (edge.caller?.kind !== 'staff') return edge;
  return { ...edge, caller: await admitStaffCaller(options.staffAccess, edge.caller, edge.brand.id, log) };
}

async function identifyCaller(
  { catalog, userTokens, enforcement, mismatches, revocations, revocationCheckFailures }: EdgeOptions,
  host: string | undefined,
  authorization: string | undefined,
  log: Logger,
): Promise<Edge> {
  const hostBrand = host ? catalog.byHost(host) : undefined;
  if (!hostBrand) throw new EdgeRefusal(421, 'UNKNOWN_HOST', 'no brand is served on this host');
  if (hostBrand.status !== 'ACTIVE') throw new EdgeRefusal(403, ErrorCode.FORBIDDEN, 'this brand is suspended');
  if (!authorization) return { brand: hostBrand, hostBrand, caller: null, expiresAt: null };

  const token = /^Bearer ([\w.~+/=-]+)$/.exec(authorization)?.[1];
  if (!token) throw new EdgeRefusal(401, ErrorCode.UNAUTHENTICATED, 'the Authorization header must be "Bearer <token>"');
  let verified: Awaited<ReturnType<TokenService['verify']>>;
  try {
    verified = await userTokens.verify(token, ['player', 'agent', 'staff']);
  } catch (error) {
    if (error instanceof TokenError) throw new EdgeRefusal(401, ErrorCode.UNAUTHENTICATED, error.message);
    throw error;
  }
  if (verified.audience === 'service') throw new EdgeRefusal(401, ErrorCode.UNAUTHENTICATED, 'invalid token');
  const caller: UserCaller = { kind: verified.audience, id: verified.subject, brandId: verified.brandId, sessionId: verified.sessionId };
  if (await isRevoked(revocations, caller.sessionId, revocationCheckFailures, log)) {
    throw new EdgeRefusal(401, ErrorCode.UNAUTHENTICATED, 'this session has ended');
  }
  const { expiresAt } = verified;
  if (caller.brandId === hostBrand.id) return { brand: hostBrand, hostBrand, caller, expiresAt };

  mismatches.inc({ mode: enforcement, audience: caller.kind });
  log.warn({ host_brand: hostBrand.code, token_brand_id: caller.brandId, audience: caller.kind, mode: enforcement }, 'token brand differs from host brand');
  if (enforcement === 'enforce') throw new EdgeRefusal(403, ErrorCode.FORBIDDEN, 'this token belongs to another brand');
  const tokenBrand = catalog.byId(caller.brandId);
  if (!tokenBrand) throw new EdgeRefusal(401, ErrorCode.UNAUTHENTICATED, 'the token names an unknown brand');
  // The request acts for the token's brand: a suspended one may not act through another's host.
  if (tokenBrand.status !== 'ACTIVE') throw new EdgeRefusal(403, ErrorCode.FORBIDDEN, 'the token\'s brand is suspended');
  return { brand: tokenBrand, hostBrand, caller, expiresAt };
}

declare module 'fastify' {
  interface FastifyRequest {
    edge: Edge | null;
  }
}

/** Answers a refusal of the edge in the format of the routes it guards (GraphQL errors, the legacy envelope). */
export type RefusalRenderer = (reply: FastifyReply, refusal: EdgeRefusal) => FastifyReply;

/**
 * The `onRequest` hook of every client route: settles `request.edge` (brand, caller) and the
 * rate limit, or answers the refusal through `render`. One hook for every route, so GraphQL and
 * the legacy shims admit exactly the same requests.
 */
export function edgeHook(options: EdgeOptions, rateLimiter: RateLimiter, render: RefusalRenderer) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      request.edge = await resolveEdge(options, request.headers.host, request.headers.authorization, request.log as Logger);
    } catch (error) {
      if (!(error instanceof EdgeRefusal)) throw error;
      return render(reply, error);
    }
    request.log = request.log.child({ brand: request.edge.brand.code });
    const rate = await rateLimiter.check(request.edge, request.ip, request.log as Logger);
    if (!rate.allowed) {
      reply.header('retry-after', String(rate.retryAfterSeconds));
      return render(reply, new EdgeRefusal(429, ErrorCode.RATE_LIMITED, `too many requests: retry in ${rate.retryAfterSeconds} s`));
    }
  };
}

/**
 * While Redis is unreachable the check cannot answer; the request goes on (the token is still
 * signed and unexpired, and lives at most 15 minutes) and the failure is logged and counted,
 * so a Redis outage does not take every signed-in player offline.
 */
async function isRevoked(revocations: SessionRevocations, sessionId: string, failures: Counter, log: Logger): Promise<boolean> {
  try {
    return await revocations.isRevoked(sessionId);
  } catch (error) {
    failures.inc();
    log.error({ err: error }, 'session revocation check failed; letting the request through');
    return false;
  }
}
