import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  type BetCall,
  MoneyFormatError,
  type ProviderCall,
  type ProviderMoneyCall,
  parseMoney,
  type RollbackCall,
  type WinCall,
  walletRoutes,
} from '@rgb/contracts';
import type { PrismaClient, Provider } from '@rgb/db';
import { type CallContext, type CallResult, type Logger, type ServiceClient, signatureMatches } from '@rgb/kit';
import type { GameCatalog } from '../catalog';
import type { CallbackRequest, CallbackStore, MoneyCallRecord } from '../history';
import type { PlayerDirectory, ResolvedAccount } from '../players';
import { CALLBACK_ACTIONS, CALLBACK_BODIES, type CallbackAction, type CallbackBody, type CallbackErrorCode, type CallbackResponse, refusal, success } from './contract';
import { parseStrictJson, StrictJsonError } from './strict-json';

export interface CallbackDeps {
  prisma: PrismaClient;
  /** The answers stored under request_ids, and the rounds the money calls describe. */
  store: CallbackStore;
  catalog: GameCatalog;
  players: PlayerDirectory;
  /** The wallet's `/internal/wallet/*`: the only way game moves money. */
  wallet: ServiceClient;
  log: Logger;
  /**
   * Callbacks being answered in this process, by provider and request_id: a twin arriving
   * meanwhile (a provider retrying before the first answer) gets that answer instead of running
   * again, if it is the same request; another request under that request_id is refused.
   */
  inFlight: Map<string, { request: CallbackRequest; answer: Promise<CallbackResponse> }>;
  now?: () => number;
}

export interface IncomingCallback {
  providerCode: string;
  action: string;
  rawBody: Buffer;
  signature: string | undefined;
  /** The request's logger (it carries the request id). */
  log: CallbackLog;
  /** The request's id and trace, forwarded to the services the callback calls. */
  context: CallContext;
}

type CallbackLog = Pick<Logger, 'warn'>;

/**
 * One provider callback (docs/api/providers.md): signature on the raw bytes, then the
 * body (strict JSON: one meaning only), the stored answer to a repeated request_id (the same
 * action and bytes; anything else under that id is refused), the timestamp window, the account,
 * the currency, and the wallet command keyed by the provider's transaction id. A disabled
 * provider still settles (wins, rollbacks, balance); only its new bets are refused.
 */
export async function handleCallback(callback: IncomingCallback, deps: CallbackDeps): Promise<CallbackResponse> {
  const provider = await deps.catalog.provider(callback.providerCode);
  if (!provider) return refusal('UNKNOWN_PROVIDER', `no provider ${callback.providerCode}`);
  if (!signatureMatches(callback.rawBody, provider.secret, callback.signature)) {
    return refusal('INVALID_SIGNATURE', 'missing or wrong X-Signature');
  }
  if (!(CALLBACK_ACTIONS as readonly string[]).includes(callback.action)) return refusal('INVALID_REQUEST', `unknown action ${callback.action}`);
  const action = callback.action as CallbackAction;
  let json: unknown;
  try {
    json = parseStrictJson(callback.rawBody);
  } catch (error) {
    if (error instanceof StrictJsonError) return refusal('INVALID_REQUEST', error.message);
    throw error;
  }
  const parsed = CALLBACK_BODIES[action].safeParse(json);
  if (!parsed.success) {
    return refusal('INVALID_REQUEST', parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '));
  }
  const body = parsed.data;
  const request: CallbackRequest = { action, requestId: body.request_id, body: json, sha256: createHash('sha256').update(callback.rawBody).digest('hex') };

  const key = `${provider.id}:${body.request_id}`;
  for (let running = deps.inFlight.get(key); running; running = deps.inFlight.get(key)) {
    if (sameRequest(running.request, request)) return running.answer;
    // Another body under this id is being answered. Which of the two is the request shows once it
    // is done: the first, stored (then this one is refused below), or a reuse, refused itself
    // (then this one may be the stored request's retry, answered as such).
    await running.answer.catch(() => undefined);
  }
  const answering = answerOnce(provider, request, body, deps, callback);
  deps.inFlight.set(key, { request, answer: answering });
  try {
    return await answering;
  } finally {
    deps.inFlight.delete(key);
  }
}

/** The stored answer to this request_id, or a new one, stored. */
async function answerOnce(provider: Provider, request: CallbackRequest, body: CallbackBody, deps: CallbackDeps, { log, context }: IncomingCallback): Promise<CallbackResponse> {
  const stored = await deps.store.storedAnswer(provider, request);
  if (stored) {
    // An unhashed row holds the body as stored (through JSON.stringify): compare it in that form.
    const same = stored.action === request.action && (stored.same_bytes ?? isDeepStrictEqual(stored.unhashed_request, JSON.parse(JSON.stringify(request.body))));
    return same ? { status: stored.response_status, body: stored.response_body } : reusedRequestId(provider, request, log);
  }
  const { response, money } = await answer(provider, request.action, body, deps, context);
  await deps.store.save({ provider, request, response, money });
  return response;
}

/** Two callbacks under one request_id are one request when they name the same action and their bytes are the same. */
function sameRequest(a: CallbackRequest, b: CallbackRequest): boolean {
  return a.action === b.action && a.sha256 === b.sha256;
}

/** A request_id already taken by another request: refused, and the answer stored under it stays. */
function reusedRequestId(provider: Provider, request: CallbackRequest, log: CallbackLog): CallbackResponse {
  log.warn({ provider: provider.code, request_id: request.requestId, action: request.action }, 'callback refused: request_id reused for another request');
  return refusal('INVALID_REQUEST', `request_id ${request.requestId} was already used for another request`);
}

interface Answer {
  response: CallbackResponse;
  money?: MoneyCallRecord;
}

async function answer(
  provider: Provider,
  action: CallbackAction,
  body: Record<string, unknown> & { timestamp: string; account: string; currency: string },
  deps: CallbackDeps,
  context: CallContext,
): Promise<Answer> {
  const skew = Math.abs((deps.now?.() ?? Date.now()) - Date.parse(body.timestamp)) / 1000;
  if (skew > provider.timestampWindowSeconds) return { response: refusal('INVALID_REQUEST', `timestamp is ${Math.round(skew)} s from server time`) };
  const account = await deps.players.resolveAccount(provider, body.account, context);
  if (!account) return { response: refusal('PLAYER_NOT_FOUND', `no player ${body.account}`) };
  const balance = () => deps.wallet.value(walletRoutes.balance, { brand: account.brand, playerId: account.playerId }, context);
  if (body.currency !== account.brand.currency) {
    return { response: refusal('CURRENCY_MISMATCH', `the account is in ${account.brand.currency}`, (await balance()).balance) };
  }
  if (action === 'balance') {
    const current = await balance();
    return { response: success(current.balance, current.currency, false) };
  }
  const money = body as typeof body & { transaction_id: string; round_id: string; game_code: string; amount?: string; reference_transaction_id?: string; round_closed?: boolean };
  const game = await deps.catalog.game(money.game_code);
  if (!game || game.providerId !== provider.id) return { response: refusal('INVALID_REQUEST', `no game ${money.game_code} at ${provider.code}`) };

  let amountMinor: bigint | undefined;
  if (money.amount !== undefined) {
    try {
      amountMinor = parseMoney(money.amount, account.brand.currency, { allowZero: action === 'win' });
    } catch (error) {
      if (error instanceof MoneyFormatError) return { response: refusal('INVALID_REQUEST', `amount: ${error.message}`) };
      throw error;
    }
  }
  // No new bet from a disabled provider or for a blocked player, but a retry of a bet taken before
  // answers as any repeat, and wins and rollbacks still settle what was staked.
  const closed = action === 'bet' ? await betsClosed(provider, account, deps, context) : null;
  const call: ProviderCall = {
    brand: account.brand,
    playerId: account.playerId,
    providerCode: provider.code,
    transactionId: money.transaction_id,
    roundId: money.round_id,
    gameCode: game.code,
    gameCategory: game.category,
  };
  // The body's schema (CALLBACK_BODIES) requires the amount of a bet and a win, and the reference of a rollback.
  let moneyCall: ProviderMoneyCall;
  let result: WalletMoneyResult;
  if (action === 'bet') {
    const bet: BetCall = { ...call, amount: amountMinor!, repeatOnly: closed !== null };
    moneyCall = bet;
    result = await deps.wallet.call(walletRoutes.bet, bet, context);
  } else if (action === 'win') {
    const win: WinCall = { ...call, amount: amountMinor!, referenceTransactionId: money.reference_transaction_id ?? null };
    moneyCall = win;
    result = await deps.wallet.call(walletRoutes.win, win, context);
  } else {
    const rollback: RollbackCall = { ...call, referenceTransactionId: money.reference_transaction_id! };
    moneyCall = rollback;
    result = await deps.wallet.call(walletRoutes.rollback, rollback, context);
  }
  if (!result.ok) {
    const { code, message, balance } = result.refusal;
    if (closed && code === 'TRANSACTION_NOT_FOUND') {
      return { response: refusal(closed, closed === 'ACCOUNT_BLOCKED' ? 'the player is blocked' : `provider ${provider.code} takes no new bets`, balance) };
    }
    return { response: refusal(walletCode(code), message, balance) };
  }
  return {
    response: success(result.value.balance, result.value.currency, result.value.duplicate),
    money: { account, game, action, call: moneyCall, roundClosed: money.round_closed === true },
  };
}

/** Why no new bet may be taken: a disabled provider, a blocked player; null when one may. */
async function betsClosed(provider: Provider, account: ResolvedAccount, deps: CallbackDeps, context: CallContext): Promise<'UNKNOWN_PROVIDER' | 'ACCOUNT_BLOCKED' | null> {
  if (!provider.enabled) return 'UNKNOWN_PROVIDER';
  return (await deps.players.isBlocked(account.brand.id, account.playerId, context)) ? 'ACCOUNT_BLOCKED' : null;
}

/** The answer of a bet, a win or a rollback: the three routes answer and refuse alike. */
type WalletMoneyResult = CallResult<typeof walletRoutes.bet>;

/** The callback error for a wallet refusal; an unexpected one is a fault, not an answer. */
function walletCode(code: string): CallbackErrorCode {
  if (code === 'BAD_USER_INPUT') return 'INVALID_REQUEST';
  if (WALLET_REFUSALS.has(code)) return code as CallbackErrorCode;
  throw new Error(`the wallet refused with ${code}`);
}
const WALLET_REFUSALS = new Set(['INSUFFICIENT_FUNDS', 'DUPLICATE_TRANSACTION', 'TRANSACTION_NOT_FOUND', 'TRANSACTION_ROLLED_BACK']);
