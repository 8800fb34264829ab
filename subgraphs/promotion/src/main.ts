import { runMain } from '@rgb/kit';
import { promotionDomain } from './domain';

runMain(promotionDomain.api.name, () => promotionDomain.api.start(process.env));
