import type { Agent, AgentBalanceAdjustment, AgentCouponGrant, AgentOutgoingCall, AgentWithdrawal } from '@rgb/db';
import type { Connection } from '@rgb/kit';

/** What resolvers return for each GraphQL type (codegen mappers). */
export type AgentRow = Agent;
export type AgentPage = Connection<Agent>;
/** A player the agent domain knows of: its id, and when it registered (the order players are listed in). */
export interface PlayerRef {
  id: string;
  registeredAt?: Date;
}
export type PlayerPage = Connection<PlayerRef>;
export type WithdrawalRow = AgentWithdrawal;
export type WithdrawalPage = Connection<AgentWithdrawal>;
export type CouponGrantRow = AgentCouponGrant;
export type CouponGrantPage = Connection<AgentCouponGrant>;
export type AdjustmentRow = AgentBalanceAdjustment;
export type AdjustmentPage = Connection<AgentBalanceAdjustment>;
export type OutgoingCallRow = AgentOutgoingCall;
export type OutgoingCallPage = Connection<AgentOutgoingCall>;
