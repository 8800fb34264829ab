import type { Resolvers } from '../generated/resolvers-types';
import { Agent } from './Agent';
import { AgentBalanceAdjustment } from './AgentBalanceAdjustment';
import { AgentCouponGrant } from './AgentCouponGrant';
import { AgentOutgoingCall } from './AgentOutgoingCall';
import { AgentWithdrawal } from './AgentWithdrawal';
import { Mutation } from './Mutation';
import { Query } from './Query';

export const resolvers: Resolvers = { Query, Mutation, Agent, AgentWithdrawal, AgentCouponGrant, AgentBalanceAdjustment, AgentOutgoingCall };
