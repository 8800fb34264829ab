import type { AgentOutgoingCallResolvers } from '../generated/resolvers-types';

export const AgentOutgoingCall: AgentOutgoingCallResolvers = {
  nextAttemptAt: (call) => call.nextAttemptAt.toISOString(),
  createdAt: (call) => call.createdAt.toISOString(),
};
