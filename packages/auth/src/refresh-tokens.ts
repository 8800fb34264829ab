import { createHmac, timingSafeEqual } from 'node:crypto';

export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** What a refresh token names: its session and the rotation it was issued at. */
export interface RefreshTokenClaims {
  sessionId: string;
  generation: number;
}

const TOKEN = /^([0-9a-f-]{36})\.(\d{1,9})\.([\w-]{43})$/;

/**
 * Refresh tokens as `<session>.<generation>.<MAC>`: the MAC (HMAC-SHA256 under a key derived from
 * the auth secret) proves the server issued that generation of that session. The database keeps
 * only the session's current generation, so nothing in it can be replayed, and any older genuine
 * token, however many rotations back, is recognised as reuse, while a forged one proves nothing.
 */
export class RefreshTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error('token secret must be at least 32 characters');
    this.key = createHmac('sha256', secret).update('rgb refresh tokens v1').digest();
  }

  issue({ sessionId, generation }: RefreshTokenClaims): string {
    return `${sessionId}.${generation}.${this.mac(sessionId, generation).toString('base64url')}`;
  }

  /** The claims of a token this server issued; null for anything else. */
  read(token: string): RefreshTokenClaims | null {
    const match = TOKEN.exec(token);
    if (!match) return null;
    const [, sessionId, generationText, macText] = match as unknown as [string, string, string, string];
    const generation = Number(generationText);
    const presented = Buffer.from(macText, 'base64url');
    const expected = this.mac(sessionId, generation);
    return presented.length === expected.length && timingSafeEqual(presented, expected) ? { sessionId, generation } : null;
  }

  private mac(sessionId: string, generation: number): Buffer {
    return createHmac('sha256', this.key).update(`${sessionId}.${generation}`).digest();
  }
}
