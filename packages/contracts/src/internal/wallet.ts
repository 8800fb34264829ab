import { z } from 'zod';
import { isSupportedCurrency, MAX_MINOR } from '../money';
import { defineRoute } from './route';

/**
 * `/internal/wallet/*`: the wallet's narrow money API for the other services (game, promotion,
 * agent, rolling). Bodies are snake_case JSON; amounts are minor units as decimal strings.
 */

/** The brand a call acts for, as the router resolved it. */
export interface BrandRef {
  id: string;
  code: string;
  currency: string;
}

/** What every provider money call names (docs/api/providers.md), the account already parsed to a player. */
export interface ProviderCall {
  providerCode: string;
  transactionId: string;
  brand: BrandRef;
  playerId: string;
  roundId: string;
  gameCode: string;
  /** The game's category (slots, live casino...): rolling weighs turnover by it. */
  gameCategory: string;
}

export interface BetCall extends ProviderCall {
  amount: bigint;
  /**
   * Answer only an earlier bet with this id (its first result, or why it cannot be repeated) and
   * debit nothing new: a new id is refused with TRANSACTION_NOT_FOUND. For a player who may no
   * longer bet, whose provider may still retry a bet accepted before.
   */
  repeatOnly?: boolean;
}

export interface WinCall extends ProviderCall {
  /** Zero is a legitimate win: it settles a lost bet. */
  amount: bigint;
  referenceTransactionId?: string | null;
}

export interface RollbackCall extends ProviderCall {
  referenceTransactionId: string;
}

export type ProviderMoneyCall = BetCall | WinCall | RollbackCall;

/** A movement under the caller's idempotency key (promotions, agents, staff tools). */
export interface KeyedMovement {
  brand: BrandRef;
  playerId: string;
  /** Minor units: positive, or signed for an adjustment. */
  amount: bigint;
  /** The caller's idempotency key: one movement per key, ever. */
  key: string;
  reference: string;
  causedBy: string;
  reason: string | null;
}

/**
 * What an agent's account on a brand moves for (agents are global; each brand they serve holds
 * their balance there in its currency). The wallet gives each kind its sign: holds and grants
 * debit (refused with INSUFFICIENT_FUNDS past the balance), releases and recycles credit, an
 * adjustment carries its own sign.
 */
export const AGENT_MOVEMENT_KINDS = ['WITHDRAWAL_HOLD', 'WITHDRAWAL_RELEASE', 'COUPON_GRANT', 'COUPON_RECYCLE', 'ADJUSTMENT'] as const;
export type AgentMovementKind = (typeof AGENT_MOVEMENT_KINDS)[number];

/** A movement of an agent's account under the agent domain's idempotency key. */
export interface AgentMovement {
  brand: BrandRef;
  agentId: string;
  kind: AgentMovementKind;
  /** Minor units: positive, or signed for an ADJUSTMENT. */
  amount: bigint;
  /** One movement per key on the brand; the same key with another kind, agent or amount is a CONFLICT. */
  key: string;
  reference: string;
  causedBy: string;
  reason: string | null;
}

/** Reconciliation's question: which pending deposit requests could a bank text of this amount, at about this time, be paying? */
export interface PendingDepositQuery {
  brandId: string;
  amount: bigint;
  createdFrom: Date;
  createdTo: Date;
}

/** A deposit request approved because a bank text shows its money arrived. */
export interface DepositApproval {
  brand: BrandRef;
  requestId: string;
  /** The amount the text shows: a request of another amount is not approved. */
  amount: bigint;
  /** `recon:<message id>`, whoever matched the text (its match says who): the approval's `decided_by`. */
  causedBy: string;
}

const uuid = z.uuid();
const withinLimit = (amount: bigint) => amount <= MAX_MINOR && amount >= -MAX_MINOR;
/** Non-negative minor units as a decimal string, parsed to a bigint. */
export const minorAmount = z.string().regex(/^\d{1,16}$/, 'minor units as a decimal string').transform(BigInt).refine(withinLimit, `at most ${MAX_MINOR} minor units`);
const signedMinor = z.string().regex(/^-?\d{1,16}$/, 'signed minor units as a decimal string').transform(BigInt).refine(withinLimit, `at most ${MAX_MINOR} minor units`);
const currency = z.string().refine(isSupportedCurrency, 'unsupported currency');
/** A BrandRef on the wire. */
export const brandRefWire = z.object({ id: uuid, code: z.string().min(1), currency });
const transactionId = z.string().min(1).max(128);

const providerCallFields = {
  brand: brandRefWire,
  player_id: uuid,
  provider_code: z.string().min(1).max(64),
  transaction_id: transactionId,
  round_id: z.string().min(1).max(128),
  game_code: z.string().min(1).max(128),
  game_category: z.string().min(1).max(64),
};
type ProviderCallWire = z.input<z.ZodObject<typeof providerCallFields>>;

const providerCallOf = (body: z.output<z.ZodObject<typeof providerCallFields>>): ProviderCall => ({
  brand: body.brand,
  playerId: body.player_id,
  providerCode: body.provider_code,
  transactionId: body.transaction_id,
  roundId: body.round_id,
  gameCode: body.game_code,
  gameCategory: body.game_category,
});

export const wireOfBrand = (ref: BrandRef) => ({ id: ref.id, code: ref.code, currency: ref.currency });

const wireOfProviderCall = (call: ProviderCall): ProviderCallWire => ({
  brand: wireOfBrand(call.brand),
  player_id: call.playerId,
  provider_code: call.providerCode,
  transaction_id: call.transactionId,
  round_id: call.roundId,
  game_code: call.gameCode,
  game_category: call.gameCategory,
});

const keyedFields = {
  brand: brandRefWire,
  player_id: uuid,
  key: z.string(),
  reference: z.string().min(1).max(200),
  caused_by: z.string().min(1).max(100),
  reason: z.string().max(500).nullish(),
};
const keyedMovementOf = (body: z.output<z.ZodObject<typeof keyedFields>> & { amount_minor: bigint }): KeyedMovement => ({
  brand: body.brand,
  playerId: body.player_id,
  amount: body.amount_minor,
  key: body.key,
  reference: body.reference,
  causedBy: body.caused_by,
  reason: body.reason ?? null,
});
const wireOfKeyedMovement = (movement: KeyedMovement) => ({
  brand: wireOfBrand(movement.brand),
  player_id: movement.playerId,
  key: movement.key,
  reference: movement.reference,
  caused_by: movement.causedBy,
  reason: movement.reason,
  amount_minor: movement.amount.toString(),
});

/** Every money command's answer: the balance after it, and whether it repeated an earlier one. */
const walletAnswer = z.object({
  balance: z.string(),
  balance_minor: z.string().regex(/^-?\d+$/),
  currency: z.string(),
  /** An exact repeat of an earlier command: its first result, nothing moved. */
  duplicate: z.boolean(),
});
export type WalletAnswer = z.output<typeof walletAnswer>;

/** A money refusal names the balance when it is known (docs/api/providers.md). */
const withBalance = { balance: z.string().optional() };
/** What a provider money call may be refused with, besides a request its schema refuses. */
const PROVIDER_REFUSALS = ['INSUFFICIENT_FUNDS', 'DUPLICATE_TRANSACTION', 'TRANSACTION_NOT_FOUND', 'TRANSACTION_ROLLED_BACK', 'FORBIDDEN'] as const;
const KEYED_REFUSALS = ['CONFLICT', 'FORBIDDEN', 'NOT_FOUND', 'INSUFFICIENT_FUNDS'] as const;

export const walletRoutes = {
  balance: defineRoute({
    method: 'GET',
    path: '/internal/wallet/balance',
    request: z
      .object({ brand_id: uuid, brand_code: z.string().min(1), currency, player_id: uuid })
      .transform((query): { brand: BrandRef; playerId: string } => ({ brand: { id: query.brand_id, code: query.brand_code, currency: query.currency }, playerId: query.player_id })),
    toWire: ({ brand: ref, playerId }) => ({ brand_id: ref.id, brand_code: ref.code, currency: ref.currency, player_id: playerId }),
    response: walletAnswer,
  }),
  bet: defineRoute({
    method: 'POST',
    path: '/internal/wallet/bets',
    request: z
      .object({ ...providerCallFields, amount_minor: minorAmount, repeat_only: z.boolean().optional() })
      .transform((body): BetCall => ({ ...providerCallOf(body), amount: body.amount_minor, repeatOnly: body.repeat_only === true })),
    toWire: (call) => ({ ...wireOfProviderCall(call), amount_minor: call.amount.toString(), ...(call.repeatOnly ? { repeat_only: true } : {}) }),
    response: walletAnswer,
    errors: PROVIDER_REFUSALS,
    refusalDetails: withBalance,
  }),
  win: defineRoute({
    method: 'POST',
    path: '/internal/wallet/wins',
    request: z
      .object({ ...providerCallFields, amount_minor: minorAmount, reference_transaction_id: transactionId.nullish() })
      .transform((body): WinCall => ({ ...providerCallOf(body), amount: body.amount_minor, referenceTransactionId: body.reference_transaction_id })),
    toWire: (call) => ({
      ...wireOfProviderCall(call),
      amount_minor: call.amount.toString(),
      ...(call.referenceTransactionId ? { reference_transaction_id: call.referenceTransactionId } : {}),
    }),
    response: walletAnswer,
    errors: PROVIDER_REFUSALS,
    refusalDetails: withBalance,
  }),
  rollback: defineRoute({
    method: 'POST',
    path: '/internal/wallet/rollbacks',
    request: z
      .object({ ...providerCallFields, reference_transaction_id: transactionId })
      .transform((body): RollbackCall => ({ ...providerCallOf(body), referenceTransactionId: body.reference_transaction_id })),
    toWire: (call) => ({ ...wireOfProviderCall(call), reference_transaction_id: call.referenceTransactionId }),
    response: walletAnswer,
    errors: PROVIDER_REFUSALS,
    refusalDetails: withBalance,
  }),
  promotionCredit: defineRoute({
    method: 'POST',
    path: '/internal/wallet/promotions/credit',
    request: z.object({ ...keyedFields, amount_minor: minorAmount }).transform(keyedMovementOf),
    toWire: wireOfKeyedMovement,
    response: walletAnswer,
    errors: KEYED_REFUSALS,
    refusalDetails: withBalance,
  }),
  promotionReverse: defineRoute({
    method: 'POST',
    path: '/internal/wallet/promotions/reverse',
    request: z.object({ ...keyedFields, amount_minor: minorAmount }).transform(keyedMovementOf),
    toWire: wireOfKeyedMovement,
    response: walletAnswer,
    errors: KEYED_REFUSALS,
    refusalDetails: withBalance,
  }),
  adjustment: defineRoute({
    method: 'POST',
    path: '/internal/wallet/adjustments',
    request: z
      .object({ ...keyedFields, amount_minor: signedMinor, reason: z.string().min(1).max(500) })
      .transform((body): KeyedMovement & { reason: string } => ({ ...keyedMovementOf(body), reason: body.reason })),
    toWire: (movement) => ({ ...wireOfKeyedMovement(movement), reason: movement.reason }),
    response: walletAnswer,
    errors: KEYED_REFUSALS,
    refusalDetails: withBalance,
  }),
  agentMovement: defineRoute({
    method: 'POST',
    path: '/internal/wallet/agent-accounts/movements',
    request: z
      .object({
        brand: brandRefWire,
        agent_id: uuid,
        kind: z.enum(AGENT_MOVEMENT_KINDS),
        amount_minor: signedMinor,
        key: z.string().regex(/^[\w.:-]{1,128}$/, '1 to 128 letters, digits, and . : _ -'),
        reference: z.string().min(1).max(200),
        caused_by: z.string().min(1).max(100),
        reason: z.string().max(500).nullish(),
      })
      .refine((body) => (body.kind === 'ADJUSTMENT' ? body.amount_minor !== 0n : body.amount_minor > 0n), {
        message: 'amount_minor must be positive, or non-zero for an ADJUSTMENT',
        path: ['amount_minor'],
      })
      .refine((body) => body.kind !== 'ADJUSTMENT' || (body.reason ?? '').trim() !== '', { message: 'an ADJUSTMENT needs a reason', path: ['reason'] })
      .transform(
        (body): AgentMovement => ({
          brand: body.brand,
          agentId: body.agent_id,
          kind: body.kind,
          amount: body.amount_minor,
          key: body.key,
          reference: body.reference,
          causedBy: body.caused_by,
          reason: body.reason ?? null,
        }),
      ),
    toWire: (movement) => ({
      brand: wireOfBrand(movement.brand),
      agent_id: movement.agentId,
      kind: movement.kind,
      amount_minor: movement.amount.toString(),
      key: movement.key,
      reference: movement.reference,
      caused_by: movement.causedBy,
      reason: movement.reason,
    }),
    response: walletAnswer,
    errors: KEYED_REFUSALS,
    refusalDetails: withBalance,
  }),
  /**
   * The brand's PENDING deposit requests of one amount made in a time range (oldest first, at most
   * 50): reconciliation's candidates. `truncated`: more than 50 are pending, so the page is not all
   * of them, and none of them can be told to be the only one that fits.
   */
  pendingDeposits: defineRoute({
    method: 'GET',
    path: '/internal/wallet/deposit-requests/pending',
    request: z
      .object({ brand_id: uuid, amount_minor: minorAmount, created_from: z.iso.datetime({ offset: true }), created_to: z.iso.datetime({ offset: true }) })
      .transform((query): PendingDepositQuery => ({
        brandId: query.brand_id,
        amount: query.amount_minor,
        createdFrom: new Date(query.created_from),
        createdTo: new Date(query.created_to),
      })),
    toWire: (query) => ({
      brand_id: query.brandId,
      amount_minor: query.amount.toString(),
      created_from: query.createdFrom.toISOString(),
      created_to: query.createdTo.toISOString(),
    }),
    response: z.object({
      requests: z.array(z.object({ id: uuid, player_id: uuid, depositor_name: z.string(), created_at: z.iso.datetime({ offset: true }) })),
      truncated: z.boolean(),
    }),
  }),
  /**
   * Approves a PENDING deposit request of `amount_minor` for `caused_by` (`recon:<message id>`):
   * the same request and cause again is a `duplicate` answer and moves nothing; a request decided
   * otherwise, or of another amount, is a CONFLICT; a brand named in another currency, BAD_USER_INPUT.
   */
  depositApproval: defineRoute({
    method: 'POST',
    path: '/internal/wallet/deposit-requests/approve',
    request: z
      .object({ brand: brandRefWire, request_id: uuid, amount_minor: minorAmount, caused_by: z.string().min(1).max(100) })
      .transform((body): DepositApproval => ({ brand: body.brand, requestId: body.request_id, amount: body.amount_minor, causedBy: body.caused_by })),
    toWire: (approval) => ({ brand: wireOfBrand(approval.brand), request_id: approval.requestId, amount_minor: approval.amount.toString(), caused_by: approval.causedBy }),
    response: z.object({ request_id: uuid, player_id: uuid, duplicate: z.boolean() }),
    errors: ['NOT_FOUND', 'CONFLICT'],
  }),
  rollingCompletion: defineRoute({
    method: 'POST',
    path: '/internal/wallet/rolling-completions',
    request: z
      .object({ brand: brandRefWire, rolling_id: uuid, player_id: uuid })
      .transform((body) => ({ brand: body.brand, rollingId: body.rolling_id, playerId: body.player_id })),
    toWire: (completion) => ({ brand: wireOfBrand(completion.brand), rolling_id: completion.rollingId, player_id: completion.playerId }),
    response: z.object({ duplicate: z.boolean() }),
  }),
};
