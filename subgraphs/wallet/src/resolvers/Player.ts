import { walletView, assertMayReadWallet } from '../accounts';
import type { PlayerResolvers } from '../generated/resolvers-types';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  wallet: async ({ id }, _args, { caller, loaders, brand }) => {
    assertMayReadWallet(caller, id);
    return walletView(id, await loaders.accountByPlayerId.load(id), brand);
  },
};
