import { runMain } from '@rgb/kit';
import { playerDomain } from './domain';

runMain(playerDomain.worker.name, () => playerDomain.worker.start(process.env));
