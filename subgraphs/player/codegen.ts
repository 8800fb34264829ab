import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({ Player: '../players#PlayerRecord', PlayerMessage: '../messages#PlayerMessageRow', PlayerMessageConnection: '../messages#PlayerMessagePage', PlayerConnection: '../player-search#PlayerPage' });
