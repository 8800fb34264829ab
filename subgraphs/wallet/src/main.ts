import { runMain } from '@rgb/kit';
import { walletDomain } from './domain';

runMain(walletDomain.api.name, () => walletDomain.api.start(process.env));
