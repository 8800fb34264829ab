import { badUserInput, notFound } from '@rgb/contracts';
import type { PlayerMessage, PrismaClient } from '@rgb/db';
import { outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { NEWEST_FIRST, paginate, type BrandRef, type Connection, isUuid } from '@rgb/kit';

export type PlayerMessageRow = PlayerMessage;
export type PlayerMessagePage = Connection<PlayerMessage>;

const TITLE_MAX = 100;
const BODY_MAX = 5000;

export interface SendMessageInput {
  playerId: string;
  title: string;
  body: string;
}

/** Puts a message in the inbox of a player of the brand, audited in the same transaction. */
export async function sendMessage(prisma: PrismaClient, brand: BrandRef, input: SendMessageInput, actor: StaffActor): Promise<PlayerMessage> {
  const title = input.title.trim();
  const body = input.body.trim();
  const problems: string[] = [];
  if (title.length < 1 || title.length > TITLE_MAX) problems.push(`title must be 1 to ${TITLE_MAX} characters`);
  if (body.length < 1 || body.length > BODY_MAX) problems.push(`body must be 1 to ${BODY_MAX} characters`);
  if (problems.length > 0) throw badUserInput(problems.join('; '));
  if (!isUuid(input.playerId)) throw notFound('no such player');
  return outboxTransaction(prisma, async (tx) => {
    const player = await tx.player.findFirst({ where: { id: input.playerId, brandId: brand.id }, select: { id: true } });
    if (!player) throw notFound('no such player');
    const message = await tx.playerMessage.create({ data: { brandId: brand.id, playerId: player.id, title, body, sentBy: actor.staffId } });
    await recordStaffAction(tx, 'player.outbox', brand.id, actor, {
      action: 'player_message.send',
      target_type: 'player_message',
      target_id: message.id,
      before: null,
      after: { player_id: player.id, title },
    });
    return message;
  });
}

export function listMessages(
  prisma: PrismaClient,
  playerId: string,
  { first, after, unreadOnly }: { first?: number | null; after?: string | null; unreadOnly?: boolean | null },
): Promise<PlayerMessagePage> {
  const where = { playerId, ...(unreadOnly ? { readAt: null } : {}) };
  return paginate(
    { first, after },
    (position, take) => prisma.playerMessage.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take }),
    () => prisma.playerMessage.count({ where }),
  );
}

export const unreadMessageCount = (prisma: PrismaClient, playerId: string) => prisma.playerMessage.count({ where: { playerId, readAt: null } });

/** Marks one of the player's messages read, keeping the first reading's time; another player's message is NOT_FOUND. */
export async function markMessageRead(prisma: PrismaClient, playerId: string, id: string): Promise<PlayerMessage> {
  if (!isUuid(id)) throw notFound('no such message');
  await prisma.playerMessage.updateMany({ where: { id, playerId, readAt: null }, data: { readAt: new Date() } });
  const message = await prisma.playerMessage.findFirst({ where: { id, playerId } });
  if (!message) throw notFound('no such message');
  return message;
}
