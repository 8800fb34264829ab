import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Player: '../views#PlayerRef',
  Coupon: '../views#CouponRow',
  CouponConnection: '../views#CouponPage',
  CouponCampaign: '../views#CampaignRow',
  CouponCampaignConnection: '../views#CampaignPage',
  CouponCode: '../views#CouponCodeRow',
  CouponCodeConnection: '../views#CouponCodePage',
});
