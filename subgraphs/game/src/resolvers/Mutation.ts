import { notFound } from '@rgb/contracts';
import { requireCaller } from '@rgb/kit';
import type { MutationResolvers } from '../generated/resolvers-types';
import { launchGame } from '../launch';

export const Mutation: MutationResolvers = {
  launchGame: (_parent, { gameCode }, { caller, brand, services }) =>
    launchGame(services.launch, brand, requireCaller(caller, 'player').id, gameCode),
  setGameEnabled: async (_parent, { gameCode, enabled }, { caller, prisma, services }) => {
    await services.platformStaff.require(requireCaller(caller, 'staff').id);
    const { count } = await prisma.game.updateMany({ where: { code: gameCode }, data: { enabled } });
    if (count === 0) throw notFound(`no game ${gameCode}`);
    services.catalog.invalidate();
    return prisma.game.findUniqueOrThrow({ where: { code: gameCode } });
  },
  setProviderEnabled: async (_parent, { providerCode, enabled }, { caller, prisma, services }) => {
    await services.platformStaff.require(requireCaller(caller, 'staff').id);
    const { count } = await prisma.provider.updateMany({ where: { code: providerCode }, data: { enabled } });
    if (count === 0) throw notFound(`no provider ${providerCode}`);
    services.catalog.invalidate();
    return prisma.provider.findUniqueOrThrow({ where: { code: providerCode } });
  },
};
