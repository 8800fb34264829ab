import type { Game, GameBet, PrismaClient, Provider } from '@rgb/db';
import type { AgentSight, BrandRef } from '@rgb/kit';
import DataLoader from 'dataloader';

export interface GameLoaders {
  gameById: DataLoader<string, Game | null>;
  providerById: DataLoader<string, Provider | null>;
  betsByRound: DataLoader<string, GameBet[]>;
  /** Minor units per round: stakes net of rollbacks, and wins. */
  totalsByRound: DataLoader<string, { bet: bigint; win: bigint }>;
  /** Which players the calling agent may see, asked of the agent domain once per request. */
  agentSight: AgentSight;
}

const byId = <T extends { id: string }>(ids: readonly string[], rows: T[]) => {
  const found = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => found.get(id) ?? null);
};

export function createLoaders(prisma: PrismaClient, _brand: BrandRef, agentSight: AgentSight): GameLoaders {
  return {
    agentSight,
    gameById: new DataLoader(async (ids) => byId(ids, await prisma.game.findMany({ where: { id: { in: [...ids] } } }))),
    providerById: new DataLoader(async (ids) => byId(ids, await prisma.provider.findMany({ where: { id: { in: [...ids] } } }))),
    totalsByRound: new DataLoader(async (roundIds) => {
      const rows = await prisma.$queryRawUnsafe<{ round_pk: string; bet: bigint; win: bigint }[]>(
        `SELECT round_pk,
                coalesce(sum(CASE kind WHEN 'BET' THEN amount WHEN 'ROLLBACK' THEN -amount ELSE 0 END), 0)::bigint AS bet,
                coalesce(sum(CASE kind WHEN 'WIN' THEN amount ELSE 0 END), 0)::bigint AS win
         FROM game.game_bet WHERE round_pk = ANY($1::uuid[]) GROUP BY round_pk`,
        [...roundIds],
      );
      const totals = new Map(rows.map((row) => [row.round_pk, { bet: row.bet, win: row.win }]));
      return roundIds.map((id) => totals.get(id) ?? { bet: 0n, win: 0n });
    }),
    betsByRound: new DataLoader(async (roundIds) => {
      const bets = await prisma.gameBet.findMany({ where: { roundPk: { in: [...roundIds] } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return roundIds.map((id) => bets.filter((bet) => bet.roundPk === id));
    }),
  };
}
