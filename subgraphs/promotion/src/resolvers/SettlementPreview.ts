import { formatMoney } from '@rgb/contracts';
import { previewLinesPage } from '../settlements';
import type { SettlementLineResolvers, SettlementPreviewResolvers } from '../generated/resolvers-types';

export const SettlementPreview: SettlementPreviewResolvers = {
  total: (preview) => formatMoney(preview.lines.reduce((sum, line) => sum + line.amount, 0n), preview.currency),
  lines: (preview, args) => previewLinesPage(preview.lines, args),
};

export const SettlementLine: SettlementLineResolvers = {
  player: (line) => ({ id: line.playerId }),
  basis: (line) => formatMoney(line.basis, line.currency),
  computed: (line) => formatMoney(line.computed, line.currency),
  amount: (line) => formatMoney(line.amount, line.currency),
};
