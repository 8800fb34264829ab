import { ExpiringCache } from '@rgb/auth';
import type { BrandRef, Permission } from '@rgb/contracts';
import { jwtVerify, SignJWT } from 'jose';

export type { BrandRef };

export type UserKind = 'player' | 'agent' | 'staff';

/** A person holding an access token of one audience, bound to one brand and one login session. */
export interface UserCaller {
  kind: UserKind;
  id: string;
  brandId: string;
  sessionId: string;
  /** Staff only: what the router found they may do when it admitted this request. */
  access?: StaffGrant;
}

/** A staff caller's permissions and whether every brand is in their scope (else the request's brand is). */
export interface StaffGrant {
  permissions: Permission[];
  allBrands: boolean;
}

export interface ServiceCaller {
  kind: 'service';
  id: string;
}

/** Who is calling, after the edge verified their token. */
export type Caller = UserCaller | ServiceCaller;

export interface ForwardedContext {
  brand: BrandRef;
  caller: Caller | null;
  /** The client's address as the router saw it (TRUST_PROXY_HOPS), for limits kept by the domains (login throttle). */
  clientAddress?: string;
}

/** Header carrying the router's (or a service's) signed proof of brand and caller. */
export const CONTEXT_HEADER = 'x-rgb-context';
const AUDIENCE = 'subgraph';
const ALGORITHM = 'HS256';
const TTL_SECONDS = 60;
/** A signed context is reused for half its life, so one brand and caller cost one signature per 30 s. */
const REUSE_MS = (TTL_SECONDS / 2) * 1000;

/**
 * Subgraphs never trust bare headers: brand and caller arrive in a short-lived token
 * signed with the internal secret, which only the router and services hold.
 */
export class ContextTokens {
  private readonly key: Uint8Array;
  private readonly signed = new ExpiringCache<string, string>(10_000);
  private readonly verified = new ExpiringCache<string, ForwardedContext>(10_000);

  constructor(
    secret: string,
    private readonly issuer: string,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(context: ForwardedContext): Promise<string> {
    const key = JSON.stringify(context);
    const cached = this.signed.get(key);
    if (cached) return cached;
    const token = await new SignJWT({ brand: context.brand, caller: context.caller, clientAddress: context.clientAddress })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${TTL_SECONDS}s`)
      .sign(this.key);
    this.signed.set(key, token, Date.now() + REUSE_MS);
    return token;
  }

  /** Throws when the token is missing, forged, expired or malformed. */
  async verify(token: string | undefined): Promise<ForwardedContext> {
    if (!token) throw new Error('missing context token');
    const cached = this.verified.get(token);
    if (cached) return cached;
    const { payload } = await jwtVerify(token, this.key, { audience: AUDIENCE, algorithms: [ALGORITHM] });
    const brand = payload.brand as BrandRef | undefined;
    if (!brand || typeof brand.id !== 'string' || typeof brand.currency !== 'string') {
      throw new Error('context token lacks a brand');
    }
    const context: ForwardedContext = { brand, caller: (payload.caller as Caller | null | undefined) ?? null };
    if (typeof payload.clientAddress === 'string') context.clientAddress = payload.clientAddress;
    this.verified.set(token, context, (payload.exp as number) * 1000);
    return context;
  }
}
