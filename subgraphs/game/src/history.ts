import type { ProviderMoneyCall } from '@rgb/contracts';
import { directSql, type DirectSql, type Game, type PrismaClient, type Provider, statement } from '@rgb/db';
import DataLoader from 'dataloader';
import type { Logger, Metrics } from '@rgb/kit';
import { Histogram } from 'prom-client';
import type { CallbackAction, CallbackResponse } from './callbacks/contract';
import type { ResolvedAccount } from './players';

/** A money call the wallet accepted: it goes into the player's round. */
export interface MoneyCallRecord {
  account: ResolvedAccount;
  game: Game;
  action: Exclude<CallbackAction, 'balance'>;
  call: ProviderMoneyCall;
  roundClosed: boolean;
}

/** A callback as received: its action, request_id, parsed body and the SHA-256 (hex) of its raw bytes. */
export interface CallbackRequest {
  action: CallbackAction;
  requestId: string;
  body: unknown;
  sha256: string;
}

export interface AnsweredCallback {
  provider: Provider;
  request: CallbackRequest;
  response: CallbackResponse;
  /** Present when the callback moved (or repeated) money: recorded in the round with the answer. */
  money?: MoneyCallRecord;
}

/** The answer stored under a provider's request_id. */
export interface StoredAnswer {
  action: string;
  response_status: number;
  response_body: Record<string, unknown>;
  /** Null on rows stored before the hash was kept; then `unhashed_request` is their body. */
  same_bytes: boolean | null;
  unhashed_request: unknown;
}

// The statements below take a batch of callbacks as parallel arrays (unnest). Under load a round
// trip to PostgreSQL is most of what a callback costs the game (the socket writes and the
// backend's per-statement work, not the rows): the callbacks answered in one turn of the event
// loop share one lookup and one write.
// The lookup is a LATERAL subquery with a LIMIT so that each key is one probe of the unique index:
// as a plain join, the generic plan of the prepared statement (which guesses 100 keys) preferred
// a hash join over a scan of the whole log while the log was small, and kept it as it grew.
const STORED_ANSWERS = statement(
  `SELECT q.i::int AS i, c.action, c.response_status, c.response_body,
          c.request_sha256 = decode(q.sha256, 'hex') AS same_bytes,
          CASE WHEN c.request_sha256 IS NULL THEN c.request_body END AS unhashed_request
   FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS q(provider_id, request_id, sha256, i)
   CROSS JOIN LATERAL (
     SELECT action, response_status, response_body, request_sha256, request_body FROM game.callback_log
     WHERE provider_id = q.provider_id AND request_id = q.request_id LIMIT 1
   ) c`,
);

// The answers, the rounds (closed when a call says so) and the money calls' rows, in one
// statement. Of two concurrent twins of a request_id the first stored answer wins; a repeated
// transaction (its row exists) adds nothing to the round, whose totals are summed from its rows
// when read. A rollback names no amount: its row takes its bet's stake. ON CONFLICT DO UPDATE may
// touch a round once per statement, so calls of one round never share a batch (recordBatch).
const RECORD_CALLBACKS = statement(`WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[],
                         $8::uuid[], $9::uuid[], $10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[],
                         $15::text[], $16::bigint[], $17::boolean[])
      AS t(provider_id, request_id, action, request_body, response_status, response_body, sha256,
           brand_id, player_id, game_id, round_id, currency, kind, transaction_id, reference, amount, closed)
  ), answer AS (
    INSERT INTO game.callback_log (id, provider_id, request_id, action, request_body, response_status, response_body, request_sha256)
    SELECT gen_random_uuid(), provider_id, request_id, action, request_body::jsonb, response_status, response_body::jsonb, decode(sha256, 'hex')
    FROM input
    ON CONFLICT (provider_id, request_id) DO NOTHING
  ), round AS (
    INSERT INTO game.game_round (id, brand_id, player_id, provider_id, game_id, round_id, currency, status, closed_at)
    SELECT gen_random_uuid(), brand_id, player_id, provider_id, game_id, round_id, currency,
           CASE WHEN closed THEN 'CLOSED'::game."RoundStatus" ELSE 'OPEN'::game."RoundStatus" END,
           CASE WHEN closed THEN now() END
    FROM input WHERE kind IS NOT NULL
    ON CONFLICT (provider_id, player_id, round_id) DO UPDATE SET
      status = CASE WHEN excluded.status = 'CLOSED' THEN 'CLOSED'::game."RoundStatus" ELSE game_round.status END,
      closed_at = CASE WHEN excluded.status = 'CLOSED' AND game_round.closed_at IS NULL THEN now() ELSE game_round.closed_at END
    RETURNING id, provider_id, player_id, round_id
  )
  INSERT INTO game.game_bet (id, round_pk, kind, transaction_id, reference_transaction_id, amount)
  SELECT gen_random_uuid(), round.id, input.kind::game."GameBetKind", input.transaction_id, input.reference,
         CASE WHEN input.kind = 'ROLLBACK'
              THEN coalesce((SELECT b.amount FROM game.game_bet b
                             WHERE b.round_pk = round.id AND b.kind = 'BET' AND b.transaction_id = input.reference), 0)
              ELSE input.amount END
  FROM input JOIN round ON round.provider_id = input.provider_id AND round.player_id = input.player_id AND round.round_id = input.round_id
  ON CONFLICT (round_pk, transaction_id) DO NOTHING`);

const BET_KIND = { bet: 'BET', win: 'WIN', rollback: 'ROLLBACK' } as const;

/** Callbacks answered in one turn of the event loop go to PostgreSQL together (at most this many per statement). */
const MAX_BATCH = 64;
const inOneTurn = { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (run: () => void) => setImmediate(run) } as const;

/**
 * The game's record of provider callbacks: the answer stored under each request_id, and the
 * rounds and bets the money calls describe. Lookups and writes made in one turn of the event
 * loop run as one statement each.
 */
export class CallbackStore {
  private readonly sql: DirectSql;
  private readonly answers: DataLoader<{ provider: Provider; request: CallbackRequest }, StoredAnswer | null>;
  private readonly records: DataLoader<AnsweredCallback, true>;
  private readonly batchSizes: Histogram<'statement'>;

  constructor(prisma: PrismaClient, metrics: Metrics, private readonly log: Pick<Logger, 'warn'>) {
    this.sql = directSql(prisma);
    this.batchSizes = new Histogram({
      name: 'callback_store_batch_size',
      help: 'Callbacks per statement of the callback store, by statement (lookup, record)',
      labelNames: ['statement'],
      buckets: [1, 2, 4, 8, 16, 32, MAX_BATCH],
      registers: [metrics.registry],
    });
    this.answers = new DataLoader((keys) => this.lookUp(keys), inOneTurn);
    this.records = new DataLoader((callbacks) => this.record(callbacks), inOneTurn);
  }

  /** The answer stored under this request's request_id at its provider, if any. */
  storedAnswer(provider: Provider, request: CallbackRequest): Promise<StoredAnswer | null> {
    return this.answers.load({ provider, request });
  }

  /** Stores a callback's answer under its request_id and, for money, its round and call. */
  async save(callback: AnsweredCallback): Promise<void> {
    await this.records.load(callback);
  }

  private async lookUp(keys: readonly { provider: Provider; request: CallbackRequest }[]): Promise<(StoredAnswer | null)[]> {
    this.batchSizes.observe({ statement: 'lookup' }, keys.length);
    const rows = await this.sql.rows<StoredAnswer & { i: number }>(STORED_ANSWERS, [
      keys.map((key) => key.provider.id),
      keys.map((key) => key.request.requestId),
      keys.map((key) => key.request.sha256),
    ]);
    const found: (StoredAnswer | null)[] = keys.map(() => null);
    for (const { i, ...answer } of rows) found[i - 1] = answer;
    return found;
  }

  /**
   * Writes a batch in as few statements as ON CONFLICT allows: calls of one round go to separate
   * statements, in the order they came. A batch that fails is written again one callback at a
   * time, so a callback whose row PostgreSQL refuses fails alone.
   */
  private async record(callbacks: readonly AnsweredCallback[]): Promise<(true | Error)[]> {
    const statements: AnsweredCallback[][] = [];
    const placed = new Map<string, number>();
    for (const callback of callbacks) {
      const round = callback.money ? `${callback.provider.id}:${callback.money.account.playerId}:${callback.money.call.roundId}` : null;
      const index = round === null ? 0 : (placed.get(round) ?? -1) + 1;
      if (round !== null) placed.set(round, index);
      if (statements[index]) statements[index].push(callback);
      else statements[index] = [callback];
    }
    const outcomes = new Map<AnsweredCallback, true | Error>();
    for (const batch of statements) {
      try {
        await this.write(batch);
        for (const callback of batch) outcomes.set(callback, true);
      } catch (error) {
        if (batch.length === 1) {
          outcomes.set(batch[0]!, error as Error);
          continue;
        }
        this.log.warn({ err: error, callbacks: batch.length }, 'a batch of callback records failed; writing them one at a time');
        for (const callback of batch) {
          outcomes.set(callback, await this.write([callback]).then(() => true as const, (failure: Error) => failure));
        }
      }
    }
    return callbacks.map((callback) => outcomes.get(callback)!);
  }

  private async write(batch: readonly AnsweredCallback[]): Promise<void> {
    this.batchSizes.observe({ statement: 'record' }, batch.length);
    const column = <T>(value: (callback: AnsweredCallback) => T) => batch.map(value);
    const money = (callback: AnsweredCallback) => callback.money;
    await this.sql.count(RECORD_CALLBACKS, [
      column((c) => c.provider.id),
      column((c) => c.request.requestId),
      column((c) => c.request.action),
      column((c) => JSON.stringify(c.request.body)),
      column((c) => c.response.status),
      column((c) => JSON.stringify(c.response.body)),
      column((c) => c.request.sha256),
      column((c) => money(c)?.account.brand.id ?? null),
      column((c) => money(c)?.account.playerId ?? null),
      column((c) => money(c)?.game.id ?? null),
      column((c) => money(c)?.call.roundId ?? null),
      column((c) => money(c)?.account.brand.currency ?? null),
      column((c) => (c.money ? BET_KIND[c.money.action] : null)),
      column((c) => money(c)?.call.transactionId ?? null),
      column((c) => {
        const call = money(c)?.call;
        return call && 'referenceTransactionId' in call ? (call.referenceTransactionId ?? null) : null;
      }),
      // A rollback names no amount: its row takes its bet's stake (in the statement).
      column((c) => {
        const call = money(c)?.call;
        return call && 'amount' in call ? call.amount.toString() : null;
      }),
      column((c) => money(c)?.roundClosed ?? null),
    ]);
  }
}
