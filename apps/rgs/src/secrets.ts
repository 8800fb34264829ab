import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * How the RGS keeps its secrets at rest. Credentials it only checks (operator API keys, session
 * tokens) are stored as their SHA-256: each is 32 random bytes, so no dictionary or brute force
 * gets one back, and a plain hash lets a request find its row in one indexed lookup (a slow
 * password hash would only cost time on every request). Secrets it must use in clear (the
 * provider secret that signs callbacks, the webhook secret, a server seed until it is revealed)
 * are sealed with AES-256-GCM under RGS_SECRETS_KEY, which never enters the database.
 */

/** 32 random bytes, base64url: an API key or a session token. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * A UUID of version 7 (RFC 9562), as Prisma's `uuid(7)` default makes them: the millisecond time
 * first, so rows written one after another sit together in their primary-key index.
 */
export function uuidv7(): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** What a sealed value is for: the authenticated data of its seal, so one cannot stand in for another. */
export type SealPurpose = 'provider_secret' | 'webhook_secret' | 'server_seed';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** AES-256-GCM under one key: `version | iv | tag | ciphertext`. */
export class SecretBox {
  private readonly key: Buffer;

  /** `keyHex`: the 32-byte key as 64 hex characters (RGS_SECRETS_KEY). */
  constructor(keyHex: string) {
    if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new Error('the secrets key must be 64 hex characters (32 bytes)');
    this.key = Buffer.from(keyHex, 'hex');
  }

  seal(purpose: SealPurpose, plain: string): Uint8Array<ArrayBuffer> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return new Uint8Array(Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]));
  }

  /** Throws when the value was sealed under another key or purpose, or was altered. */
  open(purpose: SealPurpose, sealed: Uint8Array): string {
    const bytes = Buffer.from(sealed);
    if (bytes[0] !== VERSION) throw new Error(`unknown seal version ${bytes[0]}`);
    const iv = bytes.subarray(1, 1 + IV_BYTES);
    const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(purpose)).setAuthTag(tag);
    return Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
