import type { PrismaClient } from '@rgb/db';
import { normalizeUsername } from '@rgb/kit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const query = z.union([
  z.object({ brand_id: z.uuid(), id: z.uuid() }),
  z.object({ brand_id: z.uuid(), username: z.string().min(1).max(40) }),
]);

/** `/internal/players`: another service finds a player of a brand by id or username (a provider account, a launch). */
export function playerInternalRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  app.get('/internal/players', async (request, reply) => {
    const parsed = query.safeParse(request.query);
    if (!parsed.success) return reply.code(400).send({ error: { code: 'BAD_USER_INPUT', message: 'brand_id with id or username is required' } });
    const by = parsed.data;
    const player =
      'id' in by
        ? await prisma.player.findFirst({ where: { id: by.id, brandId: by.brand_id } })
        : await prisma.player.findUnique({ where: { brandId_username: { brandId: by.brand_id, username: normalizeUsername(by.username) } } });
    if (!player) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such player' } });
    return { id: player.id, brand_id: player.brandId, username: player.username, nickname: player.nickname, status: player.status };
  });
}
