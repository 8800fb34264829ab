import type { ContentEntryResolvers } from '../generated/resolvers-types';

export const ContentEntry: ContentEntryResolvers = {
  publishFrom: (entry) => entry.publishFrom?.toISOString() ?? null,
  publishUntil: (entry) => entry.publishUntil?.toISOString() ?? null,
  createdAt: (entry) => entry.createdAt.toISOString(),
  updatedAt: (entry) => entry.updatedAt.toISOString(),
};
