import type { SessionManager } from '@rgb/auth';
import { badUserInput, conflict, notFound } from '@rgb/contracts';
import type { PlayerStatus, PrismaClient } from '@rgb/db';
import { recordStaffAction, type StaffActor } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import { isUuid, type PlayerRecord } from './players';

const REASON_MAX = 500;

/**
 * Moves a player of the brand to `to`, with its STAFF_ACTION_RECORDED in the same transaction.
 * The row is locked first, so the audit's "before" is the status this change replaced; a player
 * already in `to` is a CONFLICT and nothing is written (a retried block is told, not re-audited).
 */
async function changeStatus(prisma: PrismaClient, brand: BrandRef, id: string, to: PlayerStatus, actor: StaffActor, reason: string | null): Promise<PlayerRecord> {
  if (!isUuid(id)) throw notFound('no such player');
  return prisma.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ status: PlayerStatus }[]>`
      SELECT status::text AS status FROM player.player WHERE id = ${id}::uuid AND brand_id = ${brand.id}::uuid FOR UPDATE`;
    if (!locked) throw notFound('no such player');
    if (locked.status === to) throw conflict(`the player is already ${to}`);
    const player = await tx.player.update({ where: { id }, data: { status: to } });
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

/** Blocks the player, then ends every session they hold, so the router refuses their tokens at once (login refuses a blocked player). */
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
