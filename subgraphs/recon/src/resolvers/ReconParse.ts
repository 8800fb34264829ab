import { formatMoney } from '@rgb/contracts';
import type { ReconParseKind, ReconParseResolvers } from '../generated/resolvers-types';

/** A message's parse columns (the message is the parent: ReconMessage.parse answers it only once parsed). */
export const ReconParse: ReconParseResolvers = {
  kind: (message) => message.parseKind as ReconParseKind,
  amount: (message, _args, { brand }) => (message.amount === null ? null : formatMoney(message.amount, brand.currency)),
  balance: (message, _args, { brand }) => (message.balance === null ? null : formatMoney(message.balance, brand.currency)),
  occurredAt: (message) => message.occurredAt?.toISOString() ?? null,
  parsedAt: (message) => message.parsedAt!.toISOString(),
};
