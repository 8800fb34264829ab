import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Player: '../views#PlayerRef',
  Provider: '../views#ProviderRow',
  Game: '../views#GameRow',
  GameRound: '../views#GameRoundRow',
  GameBet: '../views#GameBetRow',
  GameConnection: '../views#GamePage',
  GameRoundConnection: '../views#GameRoundPage',
});
