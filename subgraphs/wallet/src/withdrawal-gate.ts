import {
  DomainError,
  ErrorCode,
  formatMoney,
  type RouteResponse,
  rollingRoutes,
  type WithdrawalCheck,
  type WithdrawalHoldReason,
} from '@rgb/contracts';
import type { CallContext, Logger, Metrics, ServiceClient } from '@rgb/kit';
import { Counter } from 'prom-client';

/** Rolling's answer to a withdrawal check. */
export type WithdrawalCheckAnswer = RouteResponse<typeof rollingRoutes.withdrawalCheck>;

/** What a check runs under: the request's ids for rolling's logs, and the request's logger. */
export type GateContext = CallContext & { log: Logger };

/** Why a withdrawal waits: rolling's reasons, and a bonus credited while rolling was asked (its requirement came after the answer). */
export type HoldReason = WithdrawalHoldReason | 'CREDITED_MEANWHILE';

const HOLD_MESSAGES: Record<HoldReason, (remaining: string, currency: string) => string> = {
  ACTIVE_REQUIREMENT: (remaining, currency) => `withdrawals wait until the wagering requirement is met: ${remaining} ${currency} still to wager`,
  DEPOSITS_NOT_PROCESSED: () => 'a deposit approved moments ago is still being processed; try again shortly',
  CREDITED_MEANWHILE: () => 'a bonus was credited while the withdrawal was being checked; try again',
};

/** The refusal of a withdrawal the rolling domain holds, with the facts the player may act on. */
export function rollingIncomplete(reason: HoldReason, answer: WithdrawalCheckAnswer, currency: string): DomainError {
  const remaining = formatMoney(BigInt(answer.remaining_minor), currency);
  return new DomainError(ErrorCode.ROLLING_INCOMPLETE, HOLD_MESSAGES[reason](remaining, currency), {
    reason,
    activeRequirements: answer.active_requirements,
    remaining,
  });
}

/**
 * The rolling gate of every withdrawal: asks the rolling domain (packages/contracts
 * `rollingRoutes.withdrawalCheck`) whether the player may withdraw. It fails closed: a rolling
 * that does not answer, or answers outside its contract, refuses the withdrawal.
 */
export class WithdrawalGate {
  private readonly checks: Counter<'outcome'>;

  constructor(
    private readonly rolling: ServiceClient,
    metrics: Metrics,
  ) {
    this.checks = new Counter({
      name: 'wallet_withdrawal_checks_total',
      help: 'Withdrawal checks asked of the rolling domain, by outcome (allowed, held, failed: no answer, so refused)',
      labelNames: ['outcome'],
      registers: [metrics.registry],
    });
  }

  /** Rolling's answer when the player may withdraw; ROLLING_INCOMPLETE when not; SERVICE_UNAVAILABLE without an answer. */
  async check(check: WithdrawalCheck, context: GateContext): Promise<WithdrawalCheckAnswer> {
    let answer: WithdrawalCheckAnswer;
    try {
      answer = await this.rolling.value(rollingRoutes.withdrawalCheck, check, { requestId: context.requestId, traceparent: context.traceparent });
    } catch (error) {
      return this.unavailable(check, context, error);
    }
    if (answer.allowed) {
      this.checks.inc({ outcome: 'allowed' });
      return answer;
    }
    if (answer.reason === null) return this.unavailable(check, context, new Error('rolling refused a withdrawal without a reason'));
    this.checks.inc({ outcome: 'held' });
    throw rollingIncomplete(answer.reason, answer, check.brand.currency);
  }

  private unavailable(check: WithdrawalCheck, context: GateContext, error: unknown): never {
    this.checks.inc({ outcome: 'failed' });
    context.log.error({ err: error, player_id: check.playerId, brand_id: check.brand.id }, 'the rolling withdrawal check gave no answer: the withdrawal is refused');
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'withdrawals cannot be checked right now; try again shortly');
  }

  close(): Promise<void> {
    return this.rolling.close();
  }
}
