import { runMain } from '@rgb/kit';
import { reconDomain } from './domain';

runMain(reconDomain.worker.name, () => reconDomain.worker.start(process.env));
