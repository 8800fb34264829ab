import { z } from 'zod';

/** The provider callbacks of docs/api/providers.md: the fields of each action. Unknown fields are ignored. */
export const CALLBACK_ACTIONS = ['balance', 'bet', 'win', 'rollback'] as const;
export type CallbackAction = (typeof CALLBACK_ACTIONS)[number];

const id = z.string().min(1).max(128);
const common = {
  request_id: id,
  timestamp: z.iso.datetime({ offset: true }),
  account: z.string().min(1).max(100),
  currency: z.string().length(3),
};
const money = { transaction_id: id, round_id: id, game_code: id };
const amount = z.string().max(40);

export const CALLBACK_BODIES = {
  balance: z.object(common),
  bet: z.object({ ...common, ...money, amount }),
  win: z.object({ ...common, ...money, amount, reference_transaction_id: id.optional(), round_closed: z.boolean().optional() }),
  rollback: z.object({ ...common, ...money, reference_transaction_id: id }),
} satisfies Record<CallbackAction, z.ZodType>;

export type CallbackBody = z.infer<(typeof CALLBACK_BODIES)[CallbackAction]>;

export type CallbackErrorCode =
  | 'INVALID_SIGNATURE'
  | 'INVALID_REQUEST'
  | 'UNKNOWN_PROVIDER'
  | 'PLAYER_NOT_FOUND'
  | 'CURRENCY_MISMATCH'
  | 'INSUFFICIENT_FUNDS'
  | 'DUPLICATE_TRANSACTION'
  | 'TRANSACTION_NOT_FOUND'
  | 'TRANSACTION_ROLLED_BACK'
  | 'ACCOUNT_BLOCKED';

export interface CallbackResponse {
  status: number;
  body: Record<string, unknown>;
}

/** HTTP status per error: 200 for business refusals, except these three. */
const STATUS: Partial<Record<CallbackErrorCode, number>> = { INVALID_SIGNATURE: 401, INVALID_REQUEST: 400, UNKNOWN_PROVIDER: 404 };

export function refusal(code: CallbackErrorCode, message: string, balance?: string): CallbackResponse {
  return { status: STATUS[code] ?? 200, body: { status: 'ERROR', error_code: code, message, ...(balance === undefined ? {} : { balance }) } };
}

export function success(balance: string, currency: string, duplicate: boolean): CallbackResponse {
  return { status: 200, body: { status: 'OK', balance, currency, duplicate } };
}
