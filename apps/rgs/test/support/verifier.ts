// A verifier of RGS rounds written from docs/api/rgs-operators.md alone ("Provably fair": anyone
// can recompute a round without the RGS's code), as a player or an auditor would write it. It must
// not import the RGS's code: it checks that code against the published rule.
import { createHash, createHmac } from 'node:crypto';

/** `server_seed_hash` is the lowercase hex SHA-256 of the server seed's hex string's UTF-8 bytes. */
export function commitmentOf(serverSeed: string): string {
  return createHash('sha256').update(Buffer.from(serverSeed, 'utf8')).digest('hex');
}

/**
 * Bytes of block 0, then block 1, ..., block(c) = HMAC-SHA256(key = server_seed,
 * message = client_seed + ":" + nonce + ":" + c); the roll is the first byte b < 252, as b % 6 + 1.
 */
export function rollOf(serverSeed: string, clientSeed: string, nonce: number): number {
  for (let c = 0; c < 1_000; c++) {
    const block = createHmac('sha256', Buffer.from(serverSeed, 'utf8')).update(Buffer.from(`${clientSeed}:${nonce}:${c}`, 'utf8')).digest();
    const byte = block.find((b) => b < 252);
    if (byte !== undefined) return (byte % 6) + 1;
  }
  throw new Error('no byte below 252 in 1000 blocks');
}

export interface PublishedRound {
  round_id: string;
  server_seed_hash: string;
  client_seed: string;
  nonce: number;
  roll: number;
  server_seed: string | null;
}

/** What is wrong with a round as GET /rounds/{id} gives it (empty when it verifies). */
export function verifyRound(round: PublishedRound): string[] {
  if (round.server_seed === null) return [`${round.round_id}: server seed not revealed`];
  const problems: string[] = [];
  if (!/^[0-9a-f]{64}$/.test(round.server_seed)) problems.push(`${round.round_id}: server seed is not 64 lowercase hex characters`);
  if (commitmentOf(round.server_seed) !== round.server_seed_hash) problems.push(`${round.round_id}: the seed does not match its commitment`);
  const roll = rollOf(round.server_seed, round.client_seed, round.nonce);
  if (roll !== round.roll) problems.push(`${round.round_id}: roll ${round.roll}, the seeds give ${roll}`);
  return problems;
}
