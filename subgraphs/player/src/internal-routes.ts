import { notFound, playerRoutes } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { normalizeUsername, serveRoute } from '@rgb/kit';
import type { FastifyInstance } from 'fastify';

/** `/internal/players` (packages/contracts `playerRoutes`): another service finds a player of a brand by id or username (a provider account, a launch). */
export function playerInternalRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  serveRoute(app, playerRoutes.find, async (by) => {
    const player =
      'id' in by
        ? await prisma.player.findFirst({ where: { id: by.id, brandId: by.brand_id } })
        : await prisma.player.findUnique({ where: { brandId_username: { brandId: by.brand_id, username: normalizeUsername(by.username) } } });
    if (!player) throw notFound('no such player');
    return { id: player.id, brand_id: player.brandId, username: player.username, nickname: player.nickname, status: player.status };
  });
}
