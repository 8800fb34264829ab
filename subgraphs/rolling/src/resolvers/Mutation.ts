import { rollingAccess } from '../authorization';
import type { MutationResolvers } from '../generated/resolvers-types';
import { cancelRolling } from '../lifecycle';

export const Mutation: MutationResolvers = {
  cancelRolling: (_parent, { id, reason }, context) => cancelRolling(context.prisma, context.brand, id, reason, rollingAccess.cancelRolling(context)),
};
