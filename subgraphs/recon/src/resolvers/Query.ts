import { reconAccess } from '../authorization';
import type { QueryResolvers } from '../generated/resolvers-types';
import { listDevices, listMatches, listMessages, listPatterns, reviewQueue } from '../listing';

export const Query: QueryResolvers = {
  reconMessages: (_parent, { status, channel, first, after }, context) => {
    reconAccess.read(context.caller);
    return listMessages(context.prisma, context.brand.id, { status, channel }, { first, after });
  },
  reconMessage: (_parent, { id }, context) => {
    reconAccess.read(context.caller);
    return context.loaders.messageById.load(id);
  },
  reconReviewQueue: (_parent, page, context) => {
    reconAccess.read(context.caller);
    return reviewQueue(context.prisma, context.brand.id, page);
  },
  reconMatches: (_parent, { status, first, after }, context) => {
    reconAccess.read(context.caller);
    return listMatches(context.prisma, context.brand.id, status, { first, after });
  },
  reconDevices: (_parent, _args, context) => {
    reconAccess.read(context.caller);
    return listDevices(context.prisma, context.brand.id);
  },
  reconPatterns: (_parent, _args, context) => {
    reconAccess.read(context.caller);
    return listPatterns(context.prisma, context.brand.id);
  },
};
