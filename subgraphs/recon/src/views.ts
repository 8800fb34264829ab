import type { ReconDevice, ReconMatch, ReconMessage, ReconPattern } from '@rgb/db';
import type { Connection } from '@rgb/kit';

/** What resolvers return for each GraphQL type (codegen mappers). `ReconParse` is its message's row. */
export type MessageRow = ReconMessage;
export type MessagePage = Connection<ReconMessage>;
export type MatchRow = ReconMatch;
export type MatchPage = Connection<ReconMatch>;
export type DeviceRow = ReconDevice;
export type PatternRow = ReconPattern;
