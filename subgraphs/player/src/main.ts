import { runMain } from '@rgb/kit';
import { playerDomain } from './domain';

runMain(playerDomain.api.name, () => playerDomain.api.start(process.env));
