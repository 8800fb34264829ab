import { createHmac, randomUUID } from 'node:crypto';
import { type Logger, withSpan } from '@rgb/kit';
import { Agent, request } from 'undici';
import type { Operator } from './operators';
import type { SecretBox } from './secrets';

/** A provider callback of the platform (docs/api/providers.md) that moves money. */
export type WalletAction = 'bet' | 'win' | 'rollback';

export interface MoneyCall {
  account: string;
  currency: string;
  /** The same on every attempt at this money movement: the platform moves it once. */
  transactionId: string;
  roundId: string;
  gameCode: string;
  /** A decimal string in major units (bet, win). */
  amount?: string;
  referenceTransactionId?: string;
  roundClosed?: boolean;
}

/**
 * What an attempt came to. `refused`: the platform answered and moved nothing (its error_code).
 * `unavailable`: no answer the contract allows (no connection, a timeout, a 5xx, a body that is
 * not its JSON): the money may or may not have moved.
 */
export type WalletAnswer =
  | { outcome: 'ok'; balance: string; duplicate: boolean }
  | { outcome: 'refused'; errorCode: string; message: string }
  | { outcome: 'unavailable'; reason: string };

export interface PlatformWalletOptions {
  box: SecretBox;
  log: Logger;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
}

type CallbackTarget = Pick<Operator, 'callbackBaseUrl' | 'providerCode' | 'providerSecretSealed'>;

/**
 * The RGS's one way to move money: signed provider callbacks to the operator's platform, over a
 * keep-alive pool with connect and response timeouts (the style of packages/kit ServiceClient).
 * Each attempt has a fresh request_id and timestamp; the transaction_id is the caller's, stable.
 */
export class PlatformWallet {
  private readonly agent: Agent;

  constructor(private readonly options: PlatformWalletOptions) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 64,
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.responseTimeoutMs,
      bodyTimeout: options.responseTimeoutMs,
    });
  }

  /**
   * One attempt, in a span of its own (`rgs.callback {action}`, with the transaction id and what
   * came of it) whose trace the HTTP call carries to the router as W3C traceparent: a bet's debit
   * and first win under its request's span, a retry of the settlement loop in a trace of its own.
   * Without the SDK, `traceparent` (the request's, carried by hand) is sent instead.
   */
  call(target: CallbackTarget, action: WalletAction, call: MoneyCall, traceparent?: string): Promise<WalletAnswer> {
    const attributes = { 'rgs.action': action, 'rgs.transaction_id': call.transactionId, 'rgs.account': call.account };
    return withSpan(`rgs.callback ${action}`, attributes, async (span) => {
      const answer = await this.send(target, action, call, traceparent);
      span.set({ 'rgs.outcome': answer.outcome, ...(answer.outcome === 'refused' ? { 'rgs.error_code': answer.errorCode } : {}) });
      // No answer leaves the money undecided: the span fails. A refusal is an answer.
      if (answer.outcome === 'unavailable') span.fail(answer.reason);
      return answer;
    });
  }

  private async send(target: CallbackTarget, action: WalletAction, call: MoneyCall, traceparent: string | undefined): Promise<WalletAnswer> {
    const body = JSON.stringify({
      request_id: randomUUID(),
      timestamp: new Date().toISOString(),
      account: call.account,
      currency: call.currency,
      transaction_id: call.transactionId,
      round_id: call.roundId,
      game_code: call.gameCode,
      ...(call.amount === undefined ? {} : { amount: call.amount }),
      ...(call.referenceTransactionId === undefined ? {} : { reference_transaction_id: call.referenceTransactionId }),
      ...(call.roundClosed === undefined ? {} : { round_closed: call.roundClosed }),
    });
    const secret = this.options.box.open('provider_secret', target.providerSecretSealed);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-signature': createHmac('sha256', secret).update(body).digest('hex'),
    };
    if (traceparent) headers.traceparent = traceparent;
    const url = `${target.callbackBaseUrl.replace(/\/$/, '')}/callbacks/${target.providerCode}/${action}`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, { method: 'POST', dispatcher: this.agent, headers, body });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      return this.unavailable(action, call, `no answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (status >= 500) return this.unavailable(action, call, `answered ${status}: ${text.slice(0, 200)}`);
    let answer: { status?: unknown; balance?: unknown; duplicate?: unknown; error_code?: unknown; message?: unknown };
    try {
      answer = JSON.parse(text);
    } catch {
      return this.unavailable(action, call, `answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (status === 200 && answer.status === 'OK' && typeof answer.balance === 'string') {
      return { outcome: 'ok', balance: answer.balance, duplicate: answer.duplicate === true };
    }
    if (answer.status === 'ERROR' && typeof answer.error_code === 'string') {
      return { outcome: 'refused', errorCode: answer.error_code, message: typeof answer.message === 'string' ? answer.message : answer.error_code };
    }
    return this.unavailable(action, call, `answered ${status} outside the callback contract: ${text.slice(0, 200)}`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private unavailable(action: WalletAction, call: MoneyCall, reason: string): WalletAnswer {
    this.options.log.warn({ action, transaction_id: call.transactionId, reason }, 'wallet call got no answer');
    return { outcome: 'unavailable', reason };
  }
}
