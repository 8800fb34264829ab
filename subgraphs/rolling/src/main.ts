import { runMain } from '@rgb/kit';
import { rollingDomain } from './domain';

runMain(rollingDomain.api.name, () => rollingDomain.api.start(process.env));
