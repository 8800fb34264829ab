import { reconAccess } from '../authorization';
import type { ReconMessageResolvers } from '../generated/resolvers-types';

export const ReconMessage: ReconMessageResolvers = {
  receivedAt: (message) => message.receivedAt.toISOString(),
  // The parse's columns are written together, with parsed_at: none before the first parse (or after a reprocess).
  parse: (message) => (message.parsedAt ? message : null),
  // The texts it points to are other rows: read only by staff who may read texts.
  duplicateOf: (message, _args, context) => {
    reconAccess.read(context.caller);
    return message.duplicateOfId ? context.loaders.messageById.load(message.duplicateOfId) : null;
  },
  match: (message, _args, context) => {
    reconAccess.read(context.caller);
    return context.loaders.matchByMessageId.load(message.id);
  },
  resolvedAt: (message) => message.resolvedAt?.toISOString() ?? null,
};
