import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Player: '../views#PlayerRef',
  Rolling: '../views#RollingRow',
  RollingConnection: '../views#RollingPage',
});
