import { createHash, randomBytes } from 'node:crypto';

/** Refresh tokens are 256 random bits; only their SHA-256 is stored, so a database leak yields no usable token. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;
