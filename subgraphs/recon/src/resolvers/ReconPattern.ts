import type { ReconPatternResolvers } from '../generated/resolvers-types';

export const ReconPattern: ReconPatternResolvers = {
  createdAt: (pattern) => pattern.createdAt.toISOString(),
};
