import { runMain } from '@rgb/kit';
import { agentDomain } from './domain';

runMain(agentDomain.worker.name, () => agentDomain.worker.start(process.env));
