import type { Rolling } from '@rgb/db';
import type { Connection } from '@rgb/kit';

/** What resolvers return for each GraphQL type (codegen mappers). */
export interface PlayerRef {
  id: string;
}
export type RollingRow = Rolling;
export type RollingPage = Connection<Rolling>;
