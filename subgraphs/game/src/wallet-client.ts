import type { BrandRef, InternalClient } from '@rgb/kit';

export interface WalletAnswer {
  balance: string;
  currency: string;
  duplicate: boolean;
}

export interface WalletRefusal {
  code: string;
  message: string;
  balance?: string;
}

export type WalletResult = { ok: true; answer: WalletAnswer } | { ok: false; refusal: WalletRefusal };

export interface MoneyCall {
  brand: BrandRef;
  playerId: string;
  providerCode: string;
  transactionId: string;
  roundId: string;
  gameCode: string;
  gameCategory: string;
  amountMinor?: bigint;
  referenceTransactionId?: string | null;
  /** A bet of a player who may no longer bet: only an earlier bet with this id is answered. */
  repeatOnly?: boolean;
}

/** The wallet's provider-money commands (`/internal/wallet/*`), the only way game moves money. */
export class WalletClient {
  constructor(private readonly wallet: InternalClient) {}

  async balance(brand: BrandRef, playerId: string): Promise<WalletAnswer> {
    const query = `brand_id=${brand.id}&brand_code=${brand.code}&currency=${brand.currency}&player_id=${playerId}`;
    const response = await this.wallet.call<WalletAnswer>('GET', `/internal/wallet/balance?${query}`);
    if (response.status !== 200) throw new Error(`wallet balance answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  bet(call: MoneyCall): Promise<WalletResult> {
    return this.post('/internal/wallet/bets', call);
  }

  win(call: MoneyCall): Promise<WalletResult> {
    return this.post('/internal/wallet/wins', call);
  }

  rollback(call: MoneyCall): Promise<WalletResult> {
    return this.post('/internal/wallet/rollbacks', call);
  }

  private async post(path: string, call: MoneyCall): Promise<WalletResult> {
    const response = await this.wallet.call<WalletAnswer | { error: WalletRefusal }>('POST', path, {
      brand: { id: call.brand.id, code: call.brand.code, currency: call.brand.currency },
      player_id: call.playerId,
      provider_code: call.providerCode,
      transaction_id: call.transactionId,
      round_id: call.roundId,
      game_code: call.gameCode,
      game_category: call.gameCategory,
      ...(call.amountMinor === undefined ? {} : { amount_minor: call.amountMinor.toString() }),
      ...(call.referenceTransactionId ? { reference_transaction_id: call.referenceTransactionId } : {}),
      ...(call.repeatOnly ? { repeat_only: true } : {}),
    });
    if (response.status === 200) return { ok: true, answer: response.body as WalletAnswer };
    const refusal = (response.body as { error?: WalletRefusal }).error;
    if (!refusal) throw new Error(`wallet ${path} answered ${response.status} without an error`);
    return { ok: false, refusal };
  }
}
