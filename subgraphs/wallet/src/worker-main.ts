import { runMain } from '@rgb/kit';
import { walletDomain } from './domain';

runMain(walletDomain.worker.name, () => walletDomain.worker.start(process.env));
