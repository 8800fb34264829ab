import type pg from 'pg';
import { buildEnvelope } from '@rgb/events';

/**
 * The wallet's provider-money writes as hand-written SQL transactions over node-pg (prepared once
 * per connection, as the services' Prisma clients prepare theirs): the baseline the benchmarks set
 * the wallet beside. Same tables, same rows, same conditions; no HTTP, no Prisma.
 */
const CLAIM = { name: 'raw_claim', text: `INSERT INTO wallet.provider_transaction
       (id, provider_code, transaction_id, kind, brand_id, player_id, amount, round_id, game_code, game_category, reference_transaction_id, bet_status)
     VALUES (gen_random_uuid(), $1, $2, $3::wallet."ProviderTransactionKind", $4::uuid, $5::uuid, $6::bigint, $7, $8, $9, $10, $11::wallet."BetStatus")
     ON CONFLICT (provider_code, transaction_id) DO NOTHING
     RETURNING id` };
const DEBIT = { name: 'raw_debit', text: `UPDATE wallet.wallet_account SET balance = balance - $3::bigint, updated_at = now()
     WHERE player_id = $1::uuid AND brand_id = $2::uuid AND balance >= $3::bigint
     RETURNING id, balance, currency` };
const CREDIT = { name: 'raw_credit', text: `UPDATE wallet.wallet_account SET balance = balance + $3::bigint, updated_at = now()
     WHERE player_id = $1::uuid AND brand_id = $2::uuid
     RETURNING id, balance, currency` };
const LEDGER = { name: 'raw_ledger', text: `INSERT INTO wallet.ledger_entry (id, account_id, brand_id, player_id, kind, amount, balance_after, reference, command_key, caused_by, reason, created_at)
     VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4::wallet."LedgerKind", $5::bigint, $6::bigint, $7, $8, $9, $10, clock_timestamp())
     RETURNING id` };
const RECORD = { name: 'raw_record', text: `UPDATE wallet.provider_transaction SET balance_after = $2::bigint WHERE id = $1::uuid` };
const LOCK_BET = { name: 'raw_lock_bet', text: `SELECT id, amount FROM wallet.provider_transaction
     WHERE provider_code = $1 AND player_id = $2::uuid AND kind = 'BET' AND transaction_id = $3 FOR UPDATE` };
const SETTLE = { name: 'raw_settle', text: `UPDATE wallet.provider_transaction SET bet_status = 'SETTLED' WHERE id = $1::uuid` };
const OUTBOX = { name: 'raw_outbox', text: `INSERT INTO wallet.outbox (event_id, event_type, brand_id, envelope) VALUES ($1::uuid, 'BET_SETTLED_CONFIRMED', $2::uuid, $3::jsonb)` };

export interface RawCall {
  provider: string;
  brand: { id: string; currency: string };
  playerId: string;
  transactionId: string;
  roundId: string;
  amountMinor: bigint;
}

async function inTransaction(client: pg.Client, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** A bet: claim the id, debit if the balance allows, ledger entry, balance_after. */
export function rawBet(client: pg.Client, call: RawCall): Promise<void> {
  return inTransaction(client, async () => {
    const claimed = await client.query<{ id: string }>({ ...CLAIM, values: [
      call.provider, call.transactionId, 'BET', call.brand.id, call.playerId, call.amountMinor.toString(), call.roundId, 'demo-slot', 'SLOTS', null, 'OPEN',
    ] });
    const claimId = claimed.rows[0]?.id;
    if (!claimId) throw new Error('duplicate transaction id');
    const account = (await client.query<{ id: string; balance: string; currency: string }>({ ...DEBIT, values: [call.playerId, call.brand.id, call.amountMinor.toString()] })).rows[0];
    if (!account) throw new Error('insufficient funds');
    if (account.currency !== call.brand.currency) throw new Error('currency mismatch');
    await client.query({ ...LEDGER, values: [
      account.id, call.brand.id, call.playerId, 'BET', (-call.amountMinor).toString(), account.balance,
      `${call.provider}:${call.roundId}`, `bet:${call.provider}:${call.transactionId}`, `provider:${call.provider}`, null,
    ] });
    await client.query({ ...RECORD, values: [claimId, account.balance] });
  });
}

/** A win settling a bet: claim the id, lock the bet, credit, ledger entry, balance_after, settle, outbox event. */
export function rawWin(client: pg.Client, call: RawCall & { betTransactionId: string }): Promise<void> {
  return inTransaction(client, async () => {
    const claimed = await client.query<{ id: string }>({ ...CLAIM, values: [
      call.provider, call.transactionId, 'WIN', call.brand.id, call.playerId, call.amountMinor.toString(), call.roundId, 'demo-slot', 'SLOTS', call.betTransactionId, null,
    ] });
    const claimId = claimed.rows[0]?.id;
    if (!claimId) throw new Error('duplicate transaction id');
    const bet = (await client.query<{ id: string; amount: string }>({ ...LOCK_BET, values: [call.provider, call.playerId, call.betTransactionId] })).rows[0];
    if (!bet) throw new Error('bet not found');
    const account = (await client.query<{ id: string; balance: string; currency: string }>({ ...CREDIT, values: [call.playerId, call.brand.id, call.amountMinor.toString()] })).rows[0];
    if (!account) throw new Error('no account');
    const entry = (await client.query<{ id: string }>({ ...LEDGER, values: [
      account.id, call.brand.id, call.playerId, 'WIN', call.amountMinor.toString(), account.balance,
      `${call.provider}:${call.roundId}`, `win:${call.provider}:${call.transactionId}`, `provider:${call.provider}`, null,
    ] })).rows[0]!;
    await client.query({ ...RECORD, values: [claimId, account.balance] });
    await client.query({ ...SETTLE, values: [bet.id] });
    // The wallet's event, built as the wallet builds it, so its consumers take it as they take the wallet's.
    const envelope = buildEnvelope('wallet.outbox', {
      type: 'BET_SETTLED_CONFIRMED',
      owner: { brandId: call.brand.id },
      brandId: call.brand.id,
      aggregateType: 'bet',
      aggregateId: bet.id,
      payload: {
        player_id: call.playerId,
        provider_code: call.provider,
        transaction_id: call.betTransactionId,
        round_id: call.roundId,
        game_code: 'demo-slot',
        game_category: 'SLOTS',
        bet_amount_minor: bet.amount,
        win_amount_minor: call.amountMinor.toString(),
        balance_after_minor: account.balance,
        currency: account.currency,
        win_ledger_entry_id: entry.id,
      },
    });
    await client.query({ ...OUTBOX, values: [envelope.event_id, call.brand.id, JSON.stringify(envelope)] });
  });
}
