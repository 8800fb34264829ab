import { badUserInput } from '@rgb/contracts';
import { requireCaller } from '@rgb/kit';
import { parseSignedAmount } from '../amounts';
import { walletAccess } from '../authorization';
import { adjustBalance } from '../credits';
import type { MutationResolvers } from '../generated/resolvers-types';
import {
  approveDeposit,
  approveWithdrawal,
  declineDeposit,
  declineWithdrawal,
  markWithdrawalPaid,
  requestDeposit,
  requestWithdrawal,
} from '../requests';

export const Mutation: MutationResolvers = {
  requestDeposit: (_parent, { input }, { caller, prisma, brand }) =>
    requestDeposit(prisma, brand, requireCaller(caller, 'player').id, input),
  requestWithdrawal: (_parent, { input }, { caller, prisma, brand, services }) =>
    requestWithdrawal(prisma, brand, requireCaller(caller, 'player').id, input, services.withdrawalGate),
  approveDeposit: (_parent, { id }, { caller, prisma, brand }) => approveDeposit(prisma, brand, id, walletAccess.decideDeposit(caller)),
  declineDeposit: (_parent, { id, reason }, { caller, prisma, brand }) =>
    declineDeposit(prisma, brand, id, walletAccess.decideDeposit(caller), reason ?? null),
  approveWithdrawal: (_parent, { id }, { caller, prisma, brand }) => approveWithdrawal(prisma, brand, id, walletAccess.decideWithdrawal(caller)),
  declineWithdrawal: (_parent, { id, reason }, { caller, prisma, brand }) =>
    declineWithdrawal(prisma, brand, id, walletAccess.decideWithdrawal(caller), reason ?? null),
  markWithdrawalPaid: (_parent, { id }, { caller, prisma, brand }) => markWithdrawalPaid(prisma, brand, id, walletAccess.decideWithdrawal(caller)),
  adjustBalance: async (_parent, { input }, { caller, prisma, brand }) => {
    const actor = walletAccess.adjustBalance(caller);
    if (!/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(input.playerId)) throw badUserInput('playerId is not a player id');
    const result = await adjustBalance(prisma, {
      brand,
      playerId: input.playerId,
      amount: parseSignedAmount(input.amount, brand.currency),
      key: input.idempotencyKey,
      reference: `adjustment:${input.idempotencyKey}`,
      causedBy: actor,
      reason: input.reason,
    }, { mayOpenAccount: false });
    return prisma.ledgerEntry.findUniqueOrThrow({ where: { id: result.entryId } });
  },
};
