import type { SessionManager } from '@rgb/auth';
import { badUserInput, notFound } from '@rgb/contracts';
import type { PlayerStatus, PrismaClient } from '@rgb/db';
import { outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import { isUuid } from '@rgb/kit';
import type { PlayerRecord } from './players';

const REASON_MAX = 500;

/**
 * Moves a player of the brand to `to` (a block keeps its time and reason on the player, an unblock
 * clears them), with its STAFF_ACTION_RECORDED in the same transaction.
 * The row is locked first, so the audit's "before" is the status this change replaced; a player
 * already in `to` is answered as they are and nothing is written (a retry is not audited twice).
 */
async function changeStatus(prisma: PrismaClient, brand: BrandRef, id: string, to: PlayerStatus, actor: StaffActor, reason: string | null): Promise<PlayerRecord> {
  if (!isUuid(id)) throw notFound('no such player');
  return outboxTransaction(prisma, async (tx) => {
    const [locked] = await tx.$queryRaw<{ status: PlayerStatus }[]>`
      SELECT status::text AS status FROM player.player WHERE id = ${id}::uuid AND brand_id = ${brand.id}::uuid FOR UPDATE`;
    if (!locked) throw notFound('no such player');
    if (locked.status === to) return tx.player.findUniqueOrThrow({ where: { id } });
    const blocked = to === 'BLOCKED' ? { blockedAt: new Date(), blockReason: reason } : { blockedAt: null, blockReason: null };
    const player = await tx.player.update({ where: { id }, data: { status: to, ...blocked } });
    await recordStaffAction(tx, 'player.outbox', brand.id, actor, {
      action: to === 'BLOCKED' ? 'player.block' : 'player.unblock',
      target_type: 'player',
      target_id: id,
      before: { status: locked.status },
      after: { status: to, ...(reason ? { reason } : {}) },
    });
    return player;
  });
}

/**
 * Blocks the player, then ends every session they hold, so the router refuses their tokens at
 * once (login refuses a blocked player). Blocking a blocked player ends their sessions again:
 * a block retried after its answer failed (the sessions not announced) completes.
 */
export async function blockPlayer(prisma: PrismaClient, sessions: SessionManager, brand: BrandRef, id: string, reason: string, actor: StaffActor): Promise<PlayerRecord> {
  const why = reason.trim();
  if (why.length < 1 || why.length > REASON_MAX) throw badUserInput(`reason must be 1 to ${REASON_MAX} characters`);
  const player = await changeStatus(prisma, brand, id, 'BLOCKED', actor, why);
  await sessions.revokeAll(id);
  return player;
}

export function unblockPlayer(prisma: PrismaClient, brand: BrandRef, id: string, actor: StaffActor): Promise<PlayerRecord> {
  return changeStatus(prisma, brand, id, 'ACTIVE', actor, null);
}
