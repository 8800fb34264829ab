import { errors, jwtVerify, SignJWT } from 'jose';
import { ExpiringCache } from './expiring-cache';

/** Who a token speaks for. Each audience gets its own kind of token; fields check the kind. */
export type Audience = 'player' | 'agent' | 'staff' | 'service';

export interface AccessClaims {
  audience: Exclude<Audience, 'service'>;
  subject: string;
  brandId: string;
  sessionId: string;
  /** Agent tokens only: every brand the agent may serve when the token was signed (`brandId` is the one it signed in on). */
  brandIds?: string[];
}

/** A verified access token's claims, with when it expires (ms since the epoch): a connection it opened ends then. */
export type VerifiedAccess = AccessClaims & { expiresAt: number };

export interface ServiceClaims {
  audience: 'service';
  /** The calling service's name. */
  subject: string;
}

export type VerifiedToken = VerifiedAccess | ServiceClaims;

export class TokenError extends Error {
  override readonly name = 'TokenError';
}

const ISSUER = 'rgb';
const ALGORITHM = 'HS256';

export interface TokenServiceOptions {
  secret: string;
  accessTokenTtlSeconds?: number;
  serviceTokenTtlSeconds?: number;
  /** Verified tokens remembered until they expire (the router verifies the same token on every request). */
  verifiedCacheSize?: number;
}

/** Signs and verifies access and service tokens (HS256, one secret per trust domain). */
export class TokenService {
  readonly accessTokenTtlSeconds: number;
  private readonly key: Uint8Array;
  private readonly serviceTokenTtlSeconds: number;
  private readonly verified: ExpiringCache<string, VerifiedToken>;

  constructor({ secret, accessTokenTtlSeconds = 900, serviceTokenTtlSeconds = 300, verifiedCacheSize = 10_000 }: TokenServiceOptions) {
    if (secret.length < 32) throw new Error('token secret must be at least 32 characters');
    this.key = new TextEncoder().encode(secret);
    this.accessTokenTtlSeconds = accessTokenTtlSeconds;
    this.serviceTokenTtlSeconds = serviceTokenTtlSeconds;
    this.verified = new ExpiringCache(verifiedCacheSize);
  }

  signAccess(claims: AccessClaims): Promise<string> {
    return new SignJWT({ brand_id: claims.brandId, sid: claims.sessionId, ...(claims.brandIds ? { brand_ids: claims.brandIds } : {}) })
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setAudience(claims.audience)
      .setSubject(claims.subject)
      .setIssuedAt()
      .setExpirationTime(`${this.accessTokenTtlSeconds}s`)
      .sign(this.key);
  }

  signService(serviceName: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM })
      .setIssuer(ISSUER)
      .setAudience('service')
      .setSubject(serviceName)
      .setIssuedAt()
      .setExpirationTime(`${this.serviceTokenTtlSeconds}s`)
      .sign(this.key);
  }

  /** Verifies signature, issuer, expiry and that the audience is one of `audiences`. */
  async verify(token: string, audiences: readonly Audience[]): Promise<VerifiedToken> {
    const known = this.verified.get(token);
    if (known) {
      if (!audiences.includes(known.audience)) throw new TokenError('invalid token');
      return known;
    }
    return this.verifyUncached(token, audiences);
  }

  private async verifyUncached(token: string, audiences: readonly Audience[]): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: [...audiences],
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'exp', 'aud'],
      });
      const audience = (Array.isArray(payload.aud) ? payload.aud[0] : payload.aud) as Audience;
      const subject = payload.sub as string;
      let claims: VerifiedToken;
      if (audience === 'service') {
        claims = { audience, subject };
      } else {
        if (typeof payload.brand_id !== 'string' || typeof payload.sid !== 'string') {
          throw new TokenError('token lacks brand or session');
        }
        const brandIds = payload.brand_ids;
        if (brandIds !== undefined && !(Array.isArray(brandIds) && brandIds.every((id) => typeof id === 'string'))) throw new TokenError('token brand list is malformed');
        claims = {
          audience,
          subject,
          brandId: payload.brand_id,
          sessionId: payload.sid,
          ...(brandIds ? { brandIds: brandIds as string[] } : {}),
          expiresAt: (payload.exp as number) * 1000,
        };
      }
      this.verified.set(token, claims, (payload.exp as number) * 1000);
      return claims;
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new TokenError('token expired');
      if (error instanceof errors.JOSEError) throw new TokenError('invalid token');
      throw error;
    }
  }
}
