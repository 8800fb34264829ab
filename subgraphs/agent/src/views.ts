import type { Agent } from '@rgb/db';
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
