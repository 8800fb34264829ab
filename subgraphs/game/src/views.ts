import type { Game, GameBet, GameRound, Provider } from '@rgb/db';
import type { Connection } from '@rgb/kit';

/** What resolvers return for each GraphQL type (codegen mappers). */
export interface PlayerRef {
  id: string;
}
export type ProviderRow = Provider;
export type GameRow = Game;
export type GameRoundRow = GameRound;
export type GameBetRow = GameBet;
export type GamePage = Connection<Game>;
export type GameRoundPage = Connection<GameRound>;
