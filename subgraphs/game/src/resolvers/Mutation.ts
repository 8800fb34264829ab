import { notFound } from '@rgb/contracts';
import { requireCaller } from '@rgb/kit';
import type { MutationResolvers } from '../generated/resolvers-types';
import { launchGame } from '../launch';
import { gameAccess } from '../authorization';

export const Mutation: MutationResolvers = {
  // The context carries the request's id and traceparent, which calls to other services forward.
  launchGame: (_parent, { gameCode }, context) =>
    launchGame(context.services.launch, context.brand, requireCaller(context.caller, 'player').id, gameCode, context),
  setGameEnabled: async (_parent, { gameCode, enabled }, { caller, prisma, services }) => {
    gameAccess.switchGame(caller);
    const { count } = await prisma.game.updateMany({ where: { code: gameCode }, data: { enabled } });
    if (count === 0) throw notFound(`no game ${gameCode}`);
    services.catalog.invalidate();
    return prisma.game.findUniqueOrThrow({ where: { code: gameCode } });
  },
  setProviderEnabled: async (_parent, { providerCode, enabled }, { caller, prisma, services }) => {
    gameAccess.switchProvider(caller);
    const { count } = await prisma.provider.updateMany({ where: { code: providerCode }, data: { enabled } });
    if (count === 0) throw notFound(`no provider ${providerCode}`);
    services.catalog.invalidate();
    return prisma.provider.findUniqueOrThrow({ where: { code: providerCode } });
  },
};
