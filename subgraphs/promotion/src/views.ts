import type { CouponCampaign, CouponCode, CouponRedemption, PromotionProgram, SettlementItem, SettlementRun } from '@rgb/db';
import type { Connection } from '@rgb/kit';
import type { SettlementLine } from './settlements';

/** What resolvers return for each GraphQL type (codegen mappers). */
export interface PlayerRef {
  id: string;
}
export type CouponRow = CouponRedemption;
export type CouponPage = Connection<CouponRedemption>;
export type CampaignRow = CouponCampaign;
export type CampaignPage = Connection<CouponCampaign>;
export type CouponCodeRow = CouponCode;
export type CouponCodePage = Connection<CouponCode>;
export type ProgramRow = PromotionProgram;
export type ProgramPage = Connection<PromotionProgram>;
export type RunRow = SettlementRun;
export type RunPage = Connection<SettlementRun>;
export type ItemRow = SettlementItem;
export type ItemPage = Connection<SettlementItem>;
export type LineView = SettlementLine & { currency: string };
export type LinePage = Connection<LineView>;
export interface PreviewView {
  periodStart: string;
  periodEnd: string;
  settled: boolean;
  currency: string;
  lines: LineView[];
}
