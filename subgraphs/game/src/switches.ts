import { notFound } from '@rgb/contracts';
import type { Game, PrismaClient, Provider } from '@rgb/db';
import { outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';
import type { GameCatalog } from './catalog';

type Switchable = { table: 'game'; noun: 'game' } | { table: 'provider'; noun: 'provider' };

/**
 * Turns a game or a provider on or off for every brand, with its STAFF_ACTION_RECORDED in the same
 * transaction (the row locked, so "before" is the state this switch changed).
 */
async function switchEnabled(
  prisma: PrismaClient,
  catalog: GameCatalog,
  { table, noun }: Switchable,
  code: string,
  enabled: boolean,
  brand: BrandRef,
  actor: StaffActor,
): Promise<void> {
  await outboxTransaction(prisma, async (tx) => {
    const [row] = await tx.$queryRawUnsafe<{ id: string; enabled: boolean }[]>(`SELECT id::text, enabled FROM game.${table} WHERE code = $1 FOR UPDATE`, code);
    if (!row) throw notFound(`no ${noun} ${code}`);
    await tx.$executeRawUnsafe(`UPDATE game.${table} SET enabled = $2 WHERE id = $1::uuid`, row.id, enabled);
    await recordStaffAction(tx, 'game.outbox', brand.id, actor, {
      action: `${noun}.${enabled ? 'enable' : 'disable'}`,
      target_type: noun,
      target_id: code,
      before: { enabled: row.enabled },
      after: { enabled },
    });
  });
  catalog.invalidate();
}

export async function setGameEnabled(prisma: PrismaClient, catalog: GameCatalog, code: string, enabled: boolean, brand: BrandRef, actor: StaffActor): Promise<Game> {
  await switchEnabled(prisma, catalog, { table: 'game', noun: 'game' }, code, enabled, brand, actor);
  return prisma.game.findUniqueOrThrow({ where: { code } });
}

export async function setProviderEnabled(prisma: PrismaClient, catalog: GameCatalog, code: string, enabled: boolean, brand: BrandRef, actor: StaffActor): Promise<Provider> {
  await switchEnabled(prisma, catalog, { table: 'provider', noun: 'provider' }, code, enabled, brand, actor);
  return prisma.provider.findUniqueOrThrow({ where: { code } });
}
