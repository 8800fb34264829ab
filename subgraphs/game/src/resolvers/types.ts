import { formatMoney, notFound } from '@rgb/contracts';
import type { GameBetResolvers, GameResolvers, GameRoundResolvers, PlayerResolvers } from '../generated/resolvers-types';
import { roundsPage } from '../rounds';
import { gameAccess } from '../authorization';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  gameHistory: async ({ id }, { first, after }, { caller, prisma, brand, loaders }) => {
    await gameAccess.readHistory(caller, loaders.agentSight, id);
    return roundsPage(prisma, { brandId: brand.id, playerId: id }, first, after);
  },
};

export const Game: GameResolvers = {
  provider: async (game, _args, { loaders }) => (await loaders.providerById.load(game.providerId)) ?? Promise.reject(notFound('provider gone')),
};

export const GameRound: GameRoundResolvers = {
  game: async (round, _args, { loaders }) => (await loaders.gameById.load(round.gameId)) ?? Promise.reject(notFound('game gone')),
  totalBet: async (round, _args, { loaders }) => formatMoney((await loaders.totalsByRound.load(round.id)).bet, round.currency),
  totalWin: async (round, _args, { loaders }) => formatMoney((await loaders.totalsByRound.load(round.id)).win, round.currency),
  openedAt: (round) => round.openedAt.toISOString(),
  closedAt: (round) => round.closedAt?.toISOString() ?? null,
  bets: (round, _args, { loaders }) => loaders.betsByRound.load(round.id),
  player: (round) => ({ id: round.playerId }),
};

export const GameBet: GameBetResolvers = {
  amount: (bet, _args, { brand }) => formatMoney(bet.amount, brand.currency),
  createdAt: (bet) => bet.createdAt.toISOString(),
};
