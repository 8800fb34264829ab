import type { AuditLogEntryResolvers } from '../generated/resolvers-types';

const jsonText = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export const AuditLogEntry: AuditLogEntryResolvers = {
  before: (entry) => jsonText(entry.before),
  after: (entry) => jsonText(entry.after),
  createdAt: (entry) => entry.createdAt.toISOString(),
};
