import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from '@rgb/db';

export type Tx = Prisma.TransactionClient;

/**
 * What the event log records (docs/api/rgs-operators.md): every session, bet, round,
 * settlement and wallet call, and every responsible-gaming change. Webhooks and the SSE stream carry these (phase 2).
 */
export type RgsEventType =
  | 'session.launched'
  | 'session.revoked'
  | 'seeds.rotated'
  | 'bet.placed'
  | 'wallet.debit'
  | 'wallet.win'
  | 'wallet.rollback'
  | 'round.completed'
  | 'bet.settled'
  | 'bet.voided'
  | 'bet.rolling_back'
  | 'bet.rolled_back'
  | 'settlement.failed'
  | 'player.limits_changed'
  | 'player.self_excluded'
  | 'session.reality_checked';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string;
  details: Record<string, unknown>;
}

/** The events and audit entries of one transaction, written by `journaled` as its last statements. */
export class Journal {
  readonly events: { operatorId: string; type: RgsEventType; data: Record<string, unknown> }[] = [];
  readonly audits: (AuditEntry & { operatorId: string })[] = [];

  event(operatorId: string, type: RgsEventType, data: Record<string, unknown>): void {
    this.events.push({ operatorId, type, data });
  }

  audit(operatorId: string, entry: AuditEntry): void {
    this.audits.push({ operatorId, ...entry });
  }
}

/**
 * A transaction that waits for a pooled connection, and may run, for longer than Prisma's 2 s and
 * 5 s: under a burst a bet that has not started is safe to queue (as the wallet's commands are).
 */
const TX_OPTIONS = { maxWait: 10_000, timeout: 10_000 } as const;

/**
 * Runs `work` in one transaction and writes what it journaled in that transaction, so an event or
 * an audit entry exists exactly when the state it describes does. The events get the next numbers
 * of their operator's sequence last of all: `event_counter`'s row stays locked until the commit,
 * so the operator's next transaction numbers after this one commits, and sequence order is commit
 * order (a reader that has seen N never later finds a smaller number appear).
 */
export async function journaled<T>(prisma: PrismaClient, requestId: string | null, work: (tx: Tx, journal: Journal) => Promise<T>): Promise<T> {
  return prisma.$transaction(async (tx) => {
    const journal = new Journal();
    const result = await work(tx, journal);
    await writeJournal(tx, requestId, journal);
    return result;
  }, TX_OPTIONS);
}

async function writeJournal(tx: Tx, requestId: string | null, journal: Journal): Promise<void> {
  if (journal.audits.length > 0) {
    await tx.rgsAuditLog.createMany({
      data: journal.audits.map((entry) => ({ ...entry, details: entry.details as Prisma.InputJsonValue, requestId })),
    });
  }
  // Operators in a fixed order: two transactions numbering for the same operators lock their
  // counters in the same order, and never wait on each other in a cycle.
  const operators = [...new Set(journal.events.map((event) => event.operatorId))].sort();
  const occurredAt = new Date();
  for (const operatorId of operators) {
    const events = journal.events.filter((event) => event.operatorId === operatorId);
    await tx.$executeRawUnsafe(NUMBER_AND_INSERT_EVENTS, operatorId, events.length, JSON.stringify(events.map(({ type, data }) => ({ id: randomUUID(), type, data }))), occurredAt);
  }
}

/**
 * One statement per operator (a bet's transactions write events of one): takes the next
 * `$2` numbers of the operator's sequence, its counter row locked from here to the commit, and
 * inserts the events (`$3`, a JSON array of {id, type, data}) numbered in their order.
 */
const NUMBER_AND_INSERT_EVENTS = `WITH counter AS (
    INSERT INTO rgs.event_counter (operator_id, last_seq) VALUES ($1::uuid, $2::int)
    ON CONFLICT (operator_id) DO UPDATE SET last_seq = rgs.event_counter.last_seq + EXCLUDED.last_seq
    RETURNING last_seq
  )
  INSERT INTO rgs.event (operator_id, seq, id, type, occurred_at, data)
  SELECT $1::uuid, counter.last_seq - $2::int + e.n, (e.event->>'id')::uuid, e.event->>'type', $4::timestamptz, e.event->'data'
    FROM counter, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(event, n)`;
