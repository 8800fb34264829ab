import { runMain } from '@rgb/kit';
import { agentDomain } from './domain';

runMain(agentDomain.api.name, () => agentDomain.api.start(process.env));
