import { requireCaller } from '@rgb/kit';
import type { MutationResolvers } from '../generated/resolvers-types';
import { launchGame } from '../launch';
import { gameAccess } from '../authorization';
import { setGameEnabled, setProviderEnabled } from '../switches';

export const Mutation: MutationResolvers = {
  // The context carries the request's id and traceparent, which calls to other services forward.
  launchGame: (_parent, { gameCode }, context) =>
    launchGame(context.services.launch, context.brand, requireCaller(context.caller, 'player').id, gameCode, context),
  setGameEnabled: (_parent, { gameCode, enabled }, context) =>
    setGameEnabled(context.prisma, context.services.catalog, gameCode, enabled, context.brand, gameAccess.switchGame(context)),
  setProviderEnabled: (_parent, { providerCode, enabled }, context) =>
    setProviderEnabled(context.prisma, context.services.catalog, providerCode, enabled, context.brand, gameAccess.switchProvider(context)),
};
