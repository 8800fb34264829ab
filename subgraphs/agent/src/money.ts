import { DomainError, ErrorCode, badUserInput, parseMoneyInput } from '@rgb/contracts';
import { type PrismaClient, uniqueViolation } from '@rgb/db';
import type { BrandConfigs, CallContext, Logger } from '@rgb/kit';
import type { AgentBrands } from './agent-brands';
import type { CallExecutor, Outcome } from './calls';

/** What the money flows need of the request and the subgraph. */
export interface MoneyDeps {
  prisma: PrismaClient;
  calls: CallExecutor;
  /** The request's ids, carried by the calls it makes. */
  call: CallContext;
  configs: BrandConfigs;
  agentBrands: AgentBrands;
  log: Logger;
}

/** An amount given at the API edge in the brand's currency: positive and exact (else BAD_USER_INPUT). */
export const positiveAmount = (input: string, currency: string, name = 'amount'): bigint => parseMoneyInput(input, currency, { name });

/** A signed amount (`-10.50` debits): exact and not zero. */
export const signedAmount = (input: string, currency: string, name = 'amount'): bigint =>
  input.startsWith('-') ? -positiveAmount(input.slice(1), currency, name) : positiveAmount(input, currency, name);

/** A client's idempotency key: 1 to 128 letters, digits, and . : _ - (or none). */
export function idempotencyKeyOf(key: string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  if (!/^[\w.:-]{1,128}$/.test(key)) throw badUserInput('idempotencyKey must be 1 to 128 letters, digits, and . : _ -');
  return key;
}

/**
 * Writes a keyed request (`write` answers its call's id), or finds the earlier request of its key
 * when one was written meanwhile. That one may have been refused and deleted just after (its key
 * is free again): written once more then.
 */
export async function writeOrFindEarlier<T>(write: () => Promise<string>, findEarlier: (() => Promise<T | null>) | null): Promise<{ callId: string } | { earlier: T }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { callId: await write() };
    } catch (error) {
      if (!(findEarlier && uniqueViolation(error))) throw error;
      const earlier = await findEarlier();
      if (earlier) return { earlier };
      if (attempt === 2) throw error;
    }
  }
}

/**
 * The answer to a request whose own call was refused as the caller's fault (its intent deleted,
 * nothing changed): INSUFFICIENT_FUNDS with the balance the wallet answered.
 */
export function insufficientFunds(outcome: Outcome, what: string): DomainError {
  const balance = outcome.refusal?.balance;
  return new DomainError(ErrorCode.INSUFFICIENT_FUNDS, `the agent's balance does not cover ${what}`, balance === undefined ? {} : { balance });
}
