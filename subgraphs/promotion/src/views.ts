import type { CouponCampaign, CouponCode, CouponRedemption } from '@rgb/db';
import type { Connection } from '@rgb/kit';

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
