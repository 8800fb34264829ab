import type { Context } from './context';
import type { MoneyDeps } from './money';

/** What a money flow needs of a request: the database, the call executor, and the request's ids for the calls it makes. */
export const moneyDeps = ({ prisma, services, requestId, traceparent, log }: Context): MoneyDeps & Pick<Context['services'], 'agentBrands'> & { configs: Context['services']['brandConfigs']; log: Context['log'] } => ({
  prisma,
  calls: services.calls,
  call: { requestId, traceparent },
  configs: services.brandConfigs,
  agentBrands: services.agentBrands,
  log,
});
