import type { Game, GameBet, PrismaClient, Provider } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface GameLoaders {
  gameById: DataLoader<string, Game | null>;
  providerById: DataLoader<string, Provider | null>;
  betsByRound: DataLoader<string, GameBet[]>;
}

const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
  const found = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => found.get(id) ?? null);
};

export function createLoaders(prisma: PrismaClient, _brand: BrandRef): GameLoaders {
  return {
    gameById: new DataLoader(async (ids) => byId(ids, await prisma.game.findMany({ where: { id: { in: [...ids] } } }))),
    providerById: new DataLoader(async (ids) => byId(ids, await prisma.provider.findMany({ where: { id: { in: [...ids] } } }))),
    betsByRound: new DataLoader(async (roundIds) => {
      const bets = await prisma.gameBet.findMany({ where: { roundPk: { in: [...roundIds] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return roundIds.map((id) => bets.filter((bet) => bet.roundPk === id));
    }),
  };
}
