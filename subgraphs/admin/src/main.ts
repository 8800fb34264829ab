import { runMain } from '@rgb/kit';
import { adminDomain } from './domain';

runMain(adminDomain.api.name, () => adminDomain.api.start(process.env));
