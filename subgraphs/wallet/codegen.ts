import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Player: '../views#PlayerRef',
  Agent: '../views#AgentRef',
  Wallet: '../views#WalletView',
  LedgerEntry: '../views#LedgerEntryRow',
  DepositRequest: '../views#DepositRequestRow',
  WithdrawalRequest: '../views#WithdrawalRequestRow',
  LedgerEntryConnection: '../views#LedgerEntryPage',
  DepositRequestConnection: '../views#DepositRequestPage',
  WithdrawalRequestConnection: '../views#WithdrawalRequestPage',
});
