import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Player: '../players#PlayerRecord',
  PlayerConnection: '../player-search#PlayerPage',
  PlayerMessage: '../messages#PlayerMessageRow',
  PlayerMessageConnection: '../messages#PlayerMessagePage',
  ContentEntry: '../content#ContentEntryRow',
  ContentEntryConnection: '../content#ContentEntryPage',
});
