import type { PlayerResolvers } from '../generated/resolvers-types';
import { assertMayReadWallet, walletView } from '../accounts';

export const Player: PlayerResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  wallet: async ({ id }, _args, { caller, loaders, brand }) => {
    assertMayReadWallet(caller, id);
    return walletView(await loaders.accountByPlayerId.load(id), brand);
  },
};
