import { agentBrandsForStaff } from '../agent-brands';
import type { AgentResolvers } from '../generated/resolvers-types';

export const Agent: AgentResolvers = {
  __resolveReference: ({ id }) => ({ id }),
  brands: ({ id }, _args, context) => agentBrandsForStaff(context, id),
};
