import { badUserInput, conflict, DomainError, ErrorCode, forbidden, formatMoney } from '@rgb/contracts';
import { type LedgerKind, type PrismaClient } from '@rgb/db';
import { type OutboxTransaction, outboxTransaction } from '@rgb/events';
import type { BrandRef } from '@rgb/kit';

export type Tx = OutboxTransaction;

/**
 * How long a money command waits for a pooled connection, and may then run. Prisma's defaults
 * (2 s, 5 s) turned a burst on a few busy accounts into INTERNAL_SERVER_ERRORs for commands that
 * had not even started: a command that has not begun is safe to queue, and its caller's retry
 * would only add to the queue.
 */
const MONEY_TX = { maxWait: 10_000, timeout: 10_000 } as const;

/** Every wallet write runs in one of these (an outbox transaction: its events are published as soon as it commits). */
export function inTransaction<T>(prisma: PrismaClient, work: (tx: Tx) => Promise<T>): Promise<T> {
  return outboxTransaction(prisma, work, MONEY_TX);
}

/**
 * Whose account a movement moves: a player's (one account, on the player's brand) or an agent's
 * (one account per brand the agent serves). Exactly one of the two, ever.
 */
export type AccountOwner = { playerId: string; agentId?: never } | { agentId: string; playerId?: never };

/**
 * The statements of each kind of owner. A player's are the statements the wallet always ran
 * (the bet path's plans stay as they were); an agent's find the account by (agent, brand).
 */
const OWNER_SQL = {
  player: ownerSql('player_id', '(player_id)'),
  agent: ownerSql('agent_id', '(agent_id, brand_id)'),
};

function ownerSql(column: 'player_id' | 'agent_id', arbiter: string) {
  return {
    debit: `UPDATE wallet.wallet_account SET balance = balance - $3::bigint, updated_at = now()
     WHERE ${column} = $1::uuid AND brand_id = $2::uuid AND balance >= $3::bigint
     RETURNING id, balance, currency`,
    // A player's account lives on one brand: a credit naming another brand updates nothing (an
    // agent's arbiter holds the brand, so its conflict is always on the brand's own account).
    credit: `INSERT INTO wallet.wallet_account (id, brand_id, ${column}, currency, balance, updated_at)
     VALUES (gen_random_uuid(), $2::uuid, $1::uuid, $3, $4::bigint, now())
     ON CONFLICT ${arbiter} DO UPDATE SET balance = wallet_account.balance + EXCLUDED.balance, updated_at = now()
       WHERE wallet_account.brand_id = EXCLUDED.brand_id
     RETURNING id, balance, currency`,
    entry: `INSERT INTO wallet.ledger_entry (id, account_id, brand_id, ${column}, kind, amount, balance_after, reference, command_key, caused_by, reason, created_at)
     VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4::wallet."LedgerKind", $5::bigint, $6::bigint, $7, $8, $9, $10, clock_timestamp())
     RETURNING id`,
    balance: `SELECT balance, currency FROM wallet.wallet_account WHERE ${column} = $1::uuid AND brand_id = $2::uuid`,
  };
}

interface OwnerStatements {
  sql: ReturnType<typeof ownerSql>;
  id: string;
}

/** The owner's statements and id; a movement naming both owners, or none, is a bug of its caller. */
function ownerOf(owner: AccountOwner): OwnerStatements {
  if (owner.playerId !== undefined && owner.agentId === undefined) return { sql: OWNER_SQL.player, id: owner.playerId };
  if (owner.agentId !== undefined && owner.playerId === undefined) return { sql: OWNER_SQL.agent, id: owner.agentId };
  throw new Error('a wallet account is owned by exactly one player or agent');
}

export type Movement = AccountOwner & {
  brand: BrandRef;
  kind: LedgerKind;
  /** Signed minor units: positive credits, negative debits. */
  amount: bigint;
  reference: string;
  /** One ledger entry per key, ever: the database refuses a second. */
  commandKey: string;
  causedBy: string;
  reason?: string | null;
};

export interface Moved {
  accountId: string;
  entryId: string;
  balanceAfter: bigint;
  currency: string;
}

interface AccountBalance {
  id: string;
  balance: bigint;
  currency: string;
}

/**
 * One balance change and its ledger entry, in the caller's transaction. A debit is a single
 * conditional UPDATE (never below zero; concurrent debits of one account serialise on its row);
 * a credit opens the account, in the brand's currency, if the owner has none yet.
 */
export async function move(tx: Tx, movement: Movement): Promise<Moved> {
  const { brand, amount } = movement;
  const owner = ownerOf(movement);
  const account = amount < 0n ? await debit(tx, brand, owner, -amount) : await credit(tx, brand, owner, amount);
  // An account keeps the currency it was opened in; a caller naming another is refused (and rolled back).
  if (account.currency !== brand.currency) throw badUserInput(`the account is in ${account.currency}, not ${brand.currency}`);
  const [entry] = await tx.$queryRawUnsafe<{ id: string }[]>(
    owner.sql.entry,
    account.id,
    brand.id,
    owner.id,
    movement.kind,
    amount.toString(),
    account.balance.toString(),
    movement.reference,
    movement.commandKey,
    movement.causedBy,
    movement.reason ?? null,
  );
  return { accountId: account.id, entryId: entry!.id, balanceAfter: account.balance, currency: account.currency };
}

async function debit(tx: Tx, brand: BrandRef, owner: OwnerStatements, amount: bigint): Promise<AccountBalance> {
  const [account] = await tx.$queryRawUnsafe<AccountBalance[]>(owner.sql.debit, owner.id, brand.id, amount.toString());
  if (account) return account;
  const balance = await balanceOf(tx, brand, owner);
  throw new DomainError(ErrorCode.INSUFFICIENT_FUNDS, 'insufficient funds', { balance: formatMoney(balance, brand.currency) });
}

async function credit(tx: Tx, brand: BrandRef, { sql, id }: OwnerStatements, amount: bigint): Promise<AccountBalance> {
  const [account] = await tx.$queryRawUnsafe<AccountBalance[]>(sql.credit, id, brand.id, brand.currency, amount.toString());
  if (!account) throw forbidden('the player belongs to another brand');
  return account;
}

/** Every caller-chosen idempotency key: short and plain, so it can be indexed and logged as is. */
export function checkIdempotencyKey(key: string): void {
  if (!/^[\w.:-]{1,128}$/.test(key)) throw badUserInput('idempotency keys are 1 to 128 letters, digits, and . : _ -');
}

export async function hasAccount(tx: Tx | PrismaClient, brand: BrandRef, playerId: string): Promise<boolean> {
  const rows = await tx.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM wallet.wallet_account WHERE player_id = $1::uuid AND brand_id = $2::uuid`, playerId, brand.id);
  return rows.length > 0;
}

/**
 * The owner's balance on the brand (zero without an account), refused like a movement when the
 * account is kept in another currency than the brand's: an answer that moves nothing must not
 * show the balance in the wrong currency either.
 */
export const balanceIn = (tx: Tx | PrismaClient, brand: BrandRef, owner: AccountOwner): Promise<bigint> => balanceOf(tx, brand, ownerOf(owner));

async function balanceOf(tx: Tx | PrismaClient, brand: BrandRef, { sql, id }: OwnerStatements): Promise<bigint> {
  const [row] = await tx.$queryRawUnsafe<{ balance: bigint; currency: string }[]>(sql.balance, id, brand.id);
  if (row && row.currency !== brand.currency) throw badUserInput(`the account is in ${row.currency}, not ${brand.currency}`);
  return row?.balance ?? 0n;
}

export interface MoveResult {
  balance: bigint;
  currency: string;
  entryId: string;
  duplicate: boolean;
}

/**
 * A movement made at most once per `commandKey`: a repeat with the same owner, kind and amount
 * returns the first result and moves nothing; the key with other parameters is refused. A debit
 * refused for want of funds stays refused: a later attempt of it (its key and amount) is refused
 * again, however the balance has grown since, so a caller that took the refusal as final never
 * sees it apply.
 * Attempts of one key take turns (an advisory lock on it), so one of them decides for all.
 * `extra` runs in the same transaction (its outbox rows, say).
 */
export async function moveOnce(
  prisma: PrismaClient,
  movement: Movement,
  extra?: (tx: Tx, moved: Moved) => Promise<void>,
): Promise<MoveResult> {
  const earlier = await replay(prisma, movement);
  if (earlier) return earlier;
  const outcome = await inTransaction(prisma, async (tx): Promise<MoveResult | { refused: DomainError }> => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${movement.commandKey}, 0))`;
    const twin = await replay(tx, movement);
    if (twin) return twin;
    const refusal = await refusedBefore(tx, movement);
    if (refusal) return { refused: refusal };
    let moved: Moved;
    try {
      moved = await move(tx, movement);
    } catch (error) {
      // The debit's conditional UPDATE changed nothing, so the transaction is intact: the refusal is
      // kept in it, and committed with it.
      if (!(error instanceof DomainError && error.code === ErrorCode.INSUFFICIENT_FUNDS)) throw error;
      await tx.refusedCommand.create({
        data: {
          commandKey: movement.commandKey,
          brandId: movement.brand.id,
          playerId: movement.playerId ?? null,
          agentId: movement.agentId ?? null,
          kind: movement.kind,
          amount: movement.amount,
          code: error.code,
        },
      });
      return { refused: error };
    }
    await extra?.(tx, moved);
    return { balance: moved.balanceAfter, currency: moved.currency, entryId: moved.entryId, duplicate: false };
  });
  if ('refused' in outcome) throw outcome.refused;
  return outcome;
}

/** The refusal this movement was given before, with the balance now; CONFLICT when its key and amount were refused for another owner or kind. */
async function refusedBefore(tx: Tx, movement: Movement): Promise<DomainError | null> {
  const refused = await tx.refusedCommand.findUnique({ where: { commandKey_amount: { commandKey: movement.commandKey, amount: movement.amount } } });
  if (!refused) return null;
  if (!sameMovement(refused, movement)) throw conflict(`the key ${movement.commandKey} was already used for another movement`);
  const balance = await balanceOf(tx, movement.brand, ownerOf(movement));
  return new DomainError(ErrorCode.INSUFFICIENT_FUNDS, 'insufficient funds (this request was refused before)', { balance: formatMoney(balance, movement.brand.currency) });
}

/** Whether a row written for a key (an entry, a refusal) is of this very movement. */
const sameMovement = (
  row: { playerId: string | null; agentId: string | null; kind: LedgerKind; amount: bigint; brandId: string },
  movement: Movement,
): boolean =>
  row.playerId === (movement.playerId ?? null) &&
  row.agentId === (movement.agentId ?? null) &&
  row.kind === movement.kind &&
  row.amount === movement.amount &&
  row.brandId === movement.brand.id;

async function replay(db: PrismaClient | Tx, movement: Movement): Promise<MoveResult | null> {
  const entry = await db.ledgerEntry.findUnique({ where: { commandKey: movement.commandKey }, include: { account: true } });
  if (!entry) return null;
  if (!sameMovement(entry, movement)) throw conflict(`the key ${movement.commandKey} was already used for another movement`);
  return { balance: entry.balanceAfter, currency: entry.account.currency, entryId: entry.id, duplicate: true };
}
