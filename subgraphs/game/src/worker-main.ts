import { runMain } from '@rgb/kit';
import { gameDomain } from './domain';

runMain(gameDomain.worker.name, () => gameDomain.worker.start(process.env));
