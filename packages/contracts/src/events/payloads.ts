import { z } from 'zod';
import type { EmittedEventType } from './streams';

/**
 * Payload schemas of every emitted event type. Amounts are integer minor units as decimal
 * strings (exact, no float) with their currency; ids are the owning domain's ids.
 */
const uuid = z.uuid();
const minorUnits = z.string().regex(/^-?\d+$/, 'must be integer minor units');
const currency = z.string().length(3);

const walletMovement = {
  player_id: uuid,
  account_id: uuid,
  ledger_entry_id: uuid,
  amount_minor: minorUnits,
  balance_after_minor: minorUnits,
  currency,
};
const betReference = {
  provider_code: z.string(),
  transaction_id: z.string(),
  round_id: z.string(),
  game_code: z.string(),
  /** Game category (slots, live casino...) that weights rolling turnover. */
  game_category: z.string(),
};
const request = { request_id: uuid, player_id: uuid, amount_minor: minorUnits, currency };
const agentWithdrawal = { withdrawal_id: uuid, agent_id: uuid, amount_minor: minorUnits, currency };
/** `coupon_id`: the agent domain's grant; `code`: the coupon promotion issued for it. */
const agentCoupon = { coupon_id: uuid, agent_id: uuid, player_id: uuid, code: z.string(), amount_minor: minorUnits, currency };
const rollingChange = { rolling_id: uuid, player_id: uuid, required_minor: minorUnits, accrued_minor: minorUnits, currency };

export const EVENT_PAYLOADS = {
  BET_SETTLED_CONFIRMED: z.object({
    player_id: uuid,
    ...betReference,
    /** The bet's stake, counted once (zero for a further win on a settled bet), and what this settlement paid. */
    bet_amount_minor: minorUnits,
    win_amount_minor: minorUnits,
    balance_after_minor: minorUnits,
    currency,
    /** The win's ledger entry; null when nothing was paid. */
    win_ledger_entry_id: uuid.nullable(),
  }),
  BET_ROLLED_BACK_CONFIRMED: z.object({ ...walletMovement, ...betReference }),
  ROLLING_COMPLETED_CONFIRMED: z.object({ rolling_id: uuid, player_id: uuid }),
  DEPOSIT_REQUESTED: z.object({ ...request, depositor_name: z.string() }),
  DEPOSIT_APPROVED: z.object({ ...request, ...walletMovement }),
  DEPOSIT_DECLINED: z.object({ ...request, reason: z.string().nullable() }),
  WITHDRAW_REQUESTED: z.object(request),
  WITHDRAW_APPROVED: z.object(request),
  /**
   * The held amount released back to the balance. `previous_status`: a PENDING request was
   * declined, or an APPROVED one whose transfer bounced (it had already left the pending queue).
   */
  WITHDRAW_DECLINED: z.object({ ...request, ...walletMovement, previous_status: z.enum(['PENDING', 'APPROVED']), reason: z.string().nullable() }),
  ROLLING_COMPLETED: z.object(rollingChange),
  ROLLING_CANCELED: z.object({ ...rollingChange, reason: z.string() }),
  ROLLING_EXPIRED: z.object(rollingChange),
  PLAYER_REGISTERED: z.object({
    player_id: uuid,
    username: z.string(),
    nickname: z.string().nullable(),
    agent_id: uuid.nullable(),
    registered_at: z.iso.datetime({ offset: true }),
  }),
  /**
   * A staff action of the producing domain, written in the transaction of the change: the admin
   * domain keeps it in its audit log (who, what, on what, before and after; when is `occurred_at`).
   */
  STAFF_ACTION_RECORDED: z.object({
    staff_id: uuid,
    /** `deposit.approve`, `withdrawal.decline`, `wallet.adjust`... */
    action: z.string().min(1),
    target_type: z.string().min(1),
    target_id: z.string().min(1),
    before: z.record(z.string(), z.json()).nullable(),
    after: z.record(z.string(), z.json()).nullable(),
    /** The router's request id of the action. */
    request_id: z.string().nullable(),
  }),
  AGENT_WITHDRAW_CREATED: z.object(agentWithdrawal),
  AGENT_WITHDRAW_APPROVED: z.object(agentWithdrawal),
  AGENT_WITHDRAW_DECLINED: z.object({ ...agentWithdrawal, reason: z.string().nullable() }),
  AGENT_WITHDRAW_PAID: z.object(agentWithdrawal),
  AGENT_WITHDRAW_PAY_DECLINED: z.object({ ...agentWithdrawal, reason: z.string().nullable() }),
  AGENT_COUPON_GRANTED: z.object(agentCoupon),
  AGENT_COUPON_RECYCLED: z.object(agentCoupon),
  AGENT_BALANCE_ADJUSTED: z.object({ agent_id: uuid, amount_minor: minorUnits, currency, reason: z.string() }),
  /** A bank text joined the brand's review queue (`reason`: NO_CANDIDATE, AMBIGUOUS, UNRECOGNISED...). */
  RECON_REVIEW_OPENED: z.object({ message_id: uuid, reason: z.string().min(1) }),
  /** It left the queue: matched (by staff), dismissed, or taken back to be processed again. */
  RECON_REVIEW_CLOSED: z.object({ message_id: uuid, resolution: z.enum(['MATCHED', 'DISMISSED', 'REPROCESSED']) }),
  /** A bank text was matched to a deposit request, whose approval through the wallet follows. */
  RECON_DEPOSIT_MATCHED: z.object({ message_id: uuid, request_id: uuid, player_id: uuid, amount_minor: minorUnits, matched_by: z.string().min(1) }),
} satisfies Record<EmittedEventType, z.ZodType>;

export type EventPayload<T extends EmittedEventType> = z.infer<(typeof EVENT_PAYLOADS)[T]>;
