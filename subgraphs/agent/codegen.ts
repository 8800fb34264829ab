import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Agent: '../views#AgentRow',
  AgentConnection: '../views#AgentPage',
  Player: '../views#PlayerRef',
  PlayerConnection: '../views#PlayerPage',
});
