import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * The provably fair algorithm of docs/api/rgs-operators.md ("Provably fair"), published so that anyone can
 * recompute a round without our code. Nothing else in the RGS decides an outcome.
 */

/** 32 random bytes as 64 lower-case hex characters. */
export function newServerSeed(): string {
  return randomBytes(32).toString('hex');
}

/** The commitment shown before the seed's first bet: hex SHA-256 of the hex string's UTF-8 bytes. */
export function seedCommitment(serverSeed: string): string {
  return createHash('sha256').update(serverSeed, 'utf8').digest('hex');
}

/** The client seed of a pair whose player set none. */
export function defaultClientSeed(): string {
  return randomBytes(16).toString('hex');
}

/** Bytes 252-255 are skipped: 252 is the largest multiple of 6 below 256, so every face has 42 bytes. */
const UNBIASED_BELOW = 252;

/**
 * The dice roll (1-6) of `nonce` under a seed pair: the first byte below 252 of block 0, block 1, ...
 * where block(c) = HMAC-SHA256(key = server seed's UTF-8 bytes, message = client_seed:nonce:c).
 */
export function diceRoll(serverSeed: string, clientSeed: string, nonce: number): number {
  // A block holds a byte below 252 with probability 1 - (4/256)^32: the loop ends at block 0 in practice.
  for (let block = 0; ; block++) {
    const bytes = createHmac('sha256', serverSeed).update(`${clientSeed}:${nonce}:${block}`, 'utf8').digest();
    for (const byte of bytes) if (byte < UNBIASED_BELOW) return (byte % 6) + 1;
  }
}
