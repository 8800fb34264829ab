import { formatMoney } from '@rgb/contracts';

/** The fields every money-carrying row resolves the same way. */
export const amountOf = (row: { amount: bigint; currency: string }) => formatMoney(row.amount, row.currency);
export const isoOrNull = (date: Date | null) => date?.toISOString() ?? null;
