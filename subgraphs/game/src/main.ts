import { runMain } from '@rgb/kit';
import { gameDomain } from './domain';

runMain(gameDomain.api.name, () => gameDomain.api.start(process.env));
