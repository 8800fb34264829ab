import { runMain } from '@rgb/kit';
import { adminDomain } from './domain';

runMain(adminDomain.worker.name, () => adminDomain.worker.start(process.env));
