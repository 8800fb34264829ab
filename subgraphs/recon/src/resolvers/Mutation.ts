import { reconAccess } from '../authorization';
import type { Context } from '../context';
import type { MutationResolvers } from '../generated/resolvers-types';
import type { ReconDeps } from '../processing/deps';
import { dismiss, matchByHand, reprocess } from '../review';
import { deletePattern, saveDevice, savePattern } from '../settings';

/** What staff's review decisions take: the request's database and log, the subgraph's wallet client and Redis. */
const reviewDeps = ({ prisma, log, services }: Context): ReconDeps => ({ prisma, log, wallet: services.wallet });

export const Mutation: MutationResolvers = {
  matchReconMessage: (_parent, { id, depositRequestId }, context) => matchByHand(reviewDeps(context), context.brand, id, depositRequestId, reconAccess.resolve(context)),
  dismissReconMessage: (_parent, { id, reason }, context) => dismiss(reviewDeps(context), context.brand, id, reason, reconAccess.resolve(context)),
  reprocessReconMessage: (_parent, { id }, context) => reprocess(reviewDeps(context), context.brand, id, reconAccess.resolve(context)),
  saveReconDevice: (_parent, { input }, context) => saveDevice(context.prisma, context.brand.id, reconAccess.manage(context), input),
  saveReconPattern: (_parent, { input }, context) => savePattern(context.prisma, context.brand.id, reconAccess.manage(context), input),
  deleteReconPattern: (_parent, { id }, context) => deletePattern(context.prisma, context.brand.id, reconAccess.manage(context), id),
};
