import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  ReconMessage: '../views#MessageRow',
  ReconParse: '../views#MessageRow',
  ReconMatch: '../views#MatchRow',
  ReconDevice: '../views#DeviceRow',
  ReconPattern: '../views#PatternRow',
  ReconMessageConnection: '../views#MessagePage',
  ReconMatchConnection: '../views#MatchPage',
});
