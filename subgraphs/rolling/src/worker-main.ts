import { runMain } from '@rgb/kit';
import { rollingDomain } from './domain';

runMain(rollingDomain.worker.name, () => rollingDomain.worker.start(process.env));
