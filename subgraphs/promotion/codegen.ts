import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Player: '../views#PlayerRef',
  Coupon: '../views#CouponRow',
  CouponConnection: '../views#CouponPage',
  CouponCampaign: '../views#CampaignRow',
  CouponCampaignConnection: '../views#CampaignPage',
  CouponCode: '../views#CouponCodeRow',
  CouponCodeConnection: '../views#CouponCodePage',
  PromotionProgram: '../views#ProgramRow',
  PromotionProgramConnection: '../views#ProgramPage',
  SettlementRun: '../views#RunRow',
  SettlementRunConnection: '../views#RunPage',
  SettlementItem: '../views#ItemRow',
  SettlementItemConnection: '../views#ItemPage',
  SettlementPreview: '../views#PreviewView',
  SettlementLine: '../views#LineView',
  SettlementLineConnection: '../views#LinePage',
});
