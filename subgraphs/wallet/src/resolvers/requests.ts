import type { DepositRequestResolvers, WithdrawalRequestResolvers } from '../generated/resolvers-types';
import { amountOf, isoOrNull } from './money-fields';

export const DepositRequest: DepositRequestResolvers = {
  amount: amountOf,
  createdAt: (request) => request.createdAt.toISOString(),
  decidedAt: (request) => isoOrNull(request.decidedAt),
  player: (request) => ({ id: request.playerId }),
};

export const WithdrawalRequest: WithdrawalRequestResolvers = {
  amount: amountOf,
  createdAt: (request) => request.createdAt.toISOString(),
  decidedAt: (request) => isoOrNull(request.decidedAt),
  paidAt: (request) => isoOrNull(request.paidAt),
  player: (request) => ({ id: request.playerId }),
};
