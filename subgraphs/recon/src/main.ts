import { runMain } from '@rgb/kit';
import { reconDomain } from './domain';

runMain(reconDomain.api.name, () => reconDomain.api.start(process.env));
