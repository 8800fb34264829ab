import { walletView } from '../accounts';
import { walletAccess } from '../authorization';
import type { PlayerResolvers } from '../generated/resolvers-types';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  wallet: async ({ id }, _args, { caller, loaders, brand }) => {
    await walletAccess.readWallet(caller, loaders.agentSight, id);
    return walletView(await loaders.accountByPlayerId.load(id), brand);
  },
};
