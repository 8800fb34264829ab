import { formatMoney } from '@rgb/contracts';
import type { DailyFigureResolvers } from '../generated/resolvers-types';

export const DailyFigure: DailyFigureResolvers = {
  day: (figure) => figure.day.toISOString().slice(0, 10),
  depositsApprovedAmount: (figure) => formatMoney(figure.depositsApprovedMinor, figure.currency),
  withdrawalsApprovedAmount: (figure) => formatMoney(figure.withdrawalsApprovedMinor, figure.currency),
  withdrawalsReversedAmount: (figure) => formatMoney(figure.withdrawalsReversedMinor, figure.currency),
  computedAt: (figure) => figure.computedAt.toISOString(),
};
