import { reconAccess } from '../authorization';
import type { MutationResolvers } from '../generated/resolvers-types';
import { deletePattern, saveDevice, savePattern } from '../settings';

export const Mutation: MutationResolvers = {
  saveReconDevice: (_parent, { input }, context) => saveDevice(context.prisma, context.brand.id, reconAccess.manage(context), input),
  saveReconPattern: (_parent, { input }, context) => savePattern(context.prisma, context.brand.id, reconAccess.manage(context), input),
  deleteReconPattern: (_parent, { id }, context) => deletePattern(context.prisma, context.brand.id, reconAccess.manage(context), id),
};
