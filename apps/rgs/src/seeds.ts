import type { PrismaClient } from '@rgb/db';
import { notFound, RgsError } from './errors';
import { defaultClientSeed, newServerSeed, seedCommitment } from './fair';
import { journaled, type Tx } from './journal';
import type { Operator } from './operators';
import type { SecretBox } from './secrets';
import { liveSession } from './sessions';

/** What a player is shown of their active seed pair before betting on it. */
export interface SeedCommitment {
  serverSeedHash: string;
  clientSeed: string;
  nextNonce: number;
}

/** Writes a new active seed pair of the player (its server seed sealed until revealed). */
async function createSeedPair(tx: Tx, box: SecretBox, operatorId: string, playerId: string, clientSeed: string | undefined): Promise<SeedCommitment> {
  const serverSeed = newServerSeed();
  const pair = await tx.rgsSeedPair.create({
    data: {
      operatorId,
      playerId,
      serverSeedSealed: box.seal('server_seed', serverSeed),
      serverSeedHash: seedCommitment(serverSeed),
      clientSeed: clientSeed ?? defaultClientSeed(),
    },
  });
  return { serverSeedHash: pair.serverSeedHash, clientSeed: pair.clientSeed, nextNonce: pair.nextNonce };
}

async function findActive(db: Tx, operatorId: string, playerId: string): Promise<SeedCommitment | null> {
  const active = await db.rgsSeedPair.findFirst({ where: { operatorId, playerId, revealedAt: null } });
  return active && { serverSeedHash: active.serverSeedHash, clientSeed: active.clientSeed, nextNonce: active.nextNonce };
}

/** The player's active seed pair (every player has one from their first launch on). */
export async function activeSeedPair(db: Tx, operatorId: string, playerId: string): Promise<SeedCommitment> {
  const active = await findActive(db, operatorId, playerId);
  if (!active) throw new Error(`player ${playerId} has no active seed pair`);
  return active;
}

/**
 * The player's active seed pair, created with `clientSeed` (or a random one) on their first
 * launch; later a client seed is set by rotating (POST /seeds/rotate). Only a launch, which holds
 * the player's row locked, creates one: the partial unique index of the migration refuses a
 * second active pair anyway.
 */
export async function ensureSeedPair(tx: Tx, box: SecretBox, operatorId: string, playerId: string, clientSeed: string | undefined): Promise<SeedCommitment> {
  return (await findActive(tx, operatorId, playerId)) ?? createSeedPair(tx, box, operatorId, playerId, clientSeed);
}

export interface RotateDeps {
  prisma: PrismaClient;
  box: SecretBox;
}

/**
 * Reveals the server seed of the session's player's active pair (every round it played can now
 * be recomputed) and commits a new one, with the client seed given or a random one, nonce 0.
 */
export async function rotateSeeds(
  deps: RotateDeps,
  operator: Operator,
  request: { session_token: string; client_seed?: string },
  requestId: string,
): Promise<{ server_seed: string; previous_server_seed_hash: string; server_seed_hash: string; client_seed: string; nonce: number }> {
  const session = await liveSession(deps.prisma, operator.id, request.session_token);
  return journaled(deps.prisma, requestId, async (tx, journal) => {
    // The player's row, as a bet locks it first: a bet waits for the new pair, or has taken its nonce before.
    await tx.$queryRawUnsafe(`SELECT id FROM rgs.player WHERE id = $1::uuid AND operator_id = $2::uuid FOR NO KEY UPDATE`, session.playerId, operator.id);
    // The seed decides the roll of a bet whose debit the platform has not answered yet: revealing it
    // now would let whoever answers the debit see the outcome first and refuse a losing stake.
    const [debiting] = await tx.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM rgs.bet WHERE player_id = $1::uuid AND status = 'DEBITING' LIMIT 1`, session.playerId);
    if (debiting) throw new RgsError('BET_IN_PROGRESS', 'a bet of this seed pair is still being placed: rotate once it is answered');
    const [revealed] = await tx.$queryRawUnsafe<{ id: string; server_seed_sealed: Uint8Array; server_seed_hash: string; next_nonce: number }[]>(
      `UPDATE rgs.seed_pair SET revealed_at = now()
        WHERE player_id = $1::uuid AND operator_id = $2::uuid AND revealed_at IS NULL
        RETURNING id, server_seed_sealed, server_seed_hash, next_nonce`,
      session.playerId,
      operator.id,
    );
    if (!revealed) throw notFound('the player has no active seed pair');
    const next = await createSeedPair(tx, deps.box, operator.id, session.playerId, request.client_seed);
    const facts = {
      player_id: session.account,
      revealed_server_seed_hash: revealed.server_seed_hash,
      rounds_played: revealed.next_nonce,
      server_seed_hash: next.serverSeedHash,
      client_seed: next.clientSeed,
    };
    journal.event(operator.id, 'seeds.rotated', facts);
    journal.audit(operator.id, { action: 'seeds.rotate', targetType: 'seed_pair', targetId: revealed.id, details: facts });
    return {
      server_seed: deps.box.open('server_seed', revealed.server_seed_sealed),
      previous_server_seed_hash: revealed.server_seed_hash,
      server_seed_hash: next.serverSeedHash,
      client_seed: next.clientSeed,
      nonce: next.nextNonce,
    };
  });
}

/** An id of the RGS's rows (a uuid): anything else names nothing, and is 404 without a query. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A round of the operator as GET /rounds/{id} gives it (docs/api/rgs-operators.md): everything a verifier needs, the seed once revealed. */
export async function roundOf(
  deps: RotateDeps,
  operator: Operator,
  roundId: string,
): Promise<{ round_id: string; server_seed_hash: string; client_seed: string; nonce: number; roll: number; server_seed: string | null }> {
  // A round shows once the platform has answered its debit: before, its roll would tell whoever
  // answers the debit the outcome first.
  const round = UUID.test(roundId)
    ? await deps.prisma.rgsRound.findFirst({
        where: { id: roundId, operatorId: operator.id, bet: { status: { not: 'DEBITING' } } },
        select: { id: true, nonce: true, roll: true, seedPair: { select: { serverSeedHash: true, clientSeed: true, serverSeedSealed: true, revealedAt: true } } },
      })
    : null;
  if (!round) throw notFound(`no round ${roundId}`);
  const pair = round.seedPair;
  return {
    round_id: round.id,
    server_seed_hash: pair.serverSeedHash,
    client_seed: pair.clientSeed,
    nonce: round.nonce,
    roll: round.roll,
    server_seed: pair.revealedAt ? deps.box.open('server_seed', pair.serverSeedSealed) : null,
  };
}
