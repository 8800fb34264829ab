import type { Context } from './context';
import type { MoneyDeps } from './money';

/** What a money flow needs of a request. */
export const moneyDeps = ({ prisma, services, requestId, traceparent, log }: Context): MoneyDeps => ({
  prisma,
  calls: services.calls,
  call: { requestId, traceparent },
  configs: services.brandConfigs,
  agentBrands: services.agentBrands,
  log,
});
