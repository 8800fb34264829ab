import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({ Player: '../accounts#PlayerRef', Wallet: '../accounts#WalletView' });
