import { badUserInput } from '@rgb/contracts';
import { requireCaller } from '@rgb/kit';
import { parseSignedAmount } from '../amounts';
import { walletAccess } from '../authorization';
import { causedBy } from '../staff-actions';
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
  requestDeposit: (_parent, { input }, { caller, prisma, brand, services, log }) =>
    requestDeposit(prisma, brand, requireCaller(caller, 'player').id, input, services.brandConfigs, log),
  requestWithdrawal: (_parent, { input }, context) =>
    requestWithdrawal(
      context.prisma,
      context.brand,
      requireCaller(context.caller, 'player').id,
      input,
      context.services.brandConfigs,
      context.services.withdrawalGate,
      context,
    ),
  approveDeposit: async (_parent, { id }, context) => (await approveDeposit(context.prisma, context.brand, id, walletAccess.decideDeposit(context))).request,
  declineDeposit: (_parent, { id, reason }, context) =>
    declineDeposit(context.prisma, context.brand, id, walletAccess.decideDeposit(context), reason ?? null),
  approveWithdrawal: (_parent, { id }, context) => approveWithdrawal(context.prisma, context.brand, id, walletAccess.decideWithdrawal(context)),
  declineWithdrawal: (_parent, { id, reason }, context) =>
    declineWithdrawal(context.prisma, context.brand, id, walletAccess.decideWithdrawal(context), reason ?? null),
  markWithdrawalPaid: (_parent, { id }, context) => markWithdrawalPaid(context.prisma, context.brand, id, walletAccess.decideWithdrawal(context)),
  adjustBalance: async (_parent, { input }, context) => {
    const { prisma, brand } = context;
    const actor = walletAccess.adjustBalance(context);
    if (!/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(input.playerId)) throw badUserInput('playerId is not a player id');
    const result = await adjustBalance(prisma, {
      brand,
      playerId: input.playerId,
      amount: parseSignedAmount(input.amount, brand.currency),
      key: input.idempotencyKey,
      reference: `adjustment:${input.idempotencyKey}`,
      causedBy: causedBy(actor),
      reason: input.reason,
    }, { mayOpenAccount: false, staff: actor });
    return prisma.ledgerEntry.findUniqueOrThrow({ where: { id: result.entryId } });
  },
};
