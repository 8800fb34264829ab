import { runMain } from '@rgb/kit';
import { promotionDomain } from './domain';

runMain(promotionDomain.worker.name, () => promotionDomain.worker.start(process.env));
