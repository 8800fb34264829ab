import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Agent: '../views#AgentRow',
  AgentConnection: '../views#AgentPage',
  Player: '../views#PlayerRef',
  PlayerConnection: '../views#PlayerPage',
  AgentWithdrawal: '../views#WithdrawalRow',
  AgentWithdrawalConnection: '../views#WithdrawalPage',
  AgentCouponGrant: '../views#CouponGrantRow',
  AgentCouponGrantConnection: '../views#CouponGrantPage',
  AgentBalanceAdjustment: '../views#AdjustmentRow',
  AgentBalanceAdjustmentConnection: '../views#AdjustmentPage',
  AgentOutgoingCall: '../views#OutgoingCallRow',
  AgentOutgoingCallConnection: '../views#OutgoingCallPage',
});
