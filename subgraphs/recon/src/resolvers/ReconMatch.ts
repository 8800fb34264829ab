import { formatMoney } from '@rgb/contracts';
import { reconAccess } from '../authorization';
import type { ReconMatchResolvers } from '../generated/resolvers-types';

export const ReconMatch: ReconMatchResolvers = {
  depositRequestId: (match) => match.requestId,
  player: (match) => (match.playerId ? { id: match.playerId } : null),
  amount: (match, _args, { brand }) => formatMoney(match.amount, brand.currency),
  createdAt: (match) => match.createdAt.toISOString(),
  approvedAt: (match) => match.approvedAt?.toISOString() ?? null,
  message: async (match, _args, context) => {
    reconAccess.read(context.caller);
    const message = await context.loaders.messageById.load(match.messageId);
    // A match is of its message's brand: every match read here is of the request's brand.
    if (!message) throw new Error(`match ${match.id} has no message ${match.messageId} on brand ${context.brand.id}`);
    return message;
  },
};
