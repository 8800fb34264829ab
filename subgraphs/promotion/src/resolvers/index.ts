import { MoneyScalar } from '@rgb/kit';
import type { Resolvers } from '../generated/resolvers-types';
import { Coupon } from './Coupon';
import { CouponCampaign } from './CouponCampaign';
import { CouponCode } from './CouponCode';
import { Mutation } from './Mutation';
import { Player } from './Player';
import { PromotionProgram } from './PromotionProgram';
import { Query } from './Query';
import { SettlementItem } from './SettlementItem';
import { SettlementLine, SettlementPreview } from './SettlementPreview';
import { SettlementRun } from './SettlementRun';

export const resolvers: Resolvers = {
  Money: MoneyScalar,
  Query,
  Mutation,
  Player,
  Coupon,
  CouponCampaign,
  CouponCode,
  PromotionProgram,
  SettlementRun,
  SettlementItem,
  SettlementPreview,
  SettlementLine,
};
