import type { Resolvers } from '../generated/resolvers-types';

// The staff's fields are being built: none is served yet.
export const resolvers: Resolvers = {};
