import { walletView } from '../accounts';
import { walletAccess } from '../authorization';
import type { AgentResolvers } from '../generated/resolvers-types';

export const Agent: AgentResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  wallet: async ({ id }, _args, { caller, loaders, brand }) => {
    walletAccess.readAgentWallet(caller, id);
    return walletView(await loaders.accountByAgentId.load(id), brand);
  },
};
