import type { PrismaClient } from '@rgb/db';

/** An event of the log as webhooks and the stream send it. */
export interface EventRow {
  seq: bigint;
  id: string;
  type: string;
  occurred_at: Date;
  data: unknown;
}

/**
 * An event's JSON as operators receive it (docs/api/rgs-operators.md), `{"id","type","occurred_at","data"}`: the body of its webhook and
 * the `data:` of its stream message, the same text for both.
 */
export function eventJson(event: EventRow): string {
  return JSON.stringify({ id: event.id, type: event.type, occurred_at: event.occurred_at.toISOString(), data: event.data });
}

/** The operator's committed events after `afterSeq`, in sequence order (its primary key). */
export function eventsAfter(prisma: PrismaClient, operatorId: string, afterSeq: bigint, limit: number): Promise<EventRow[]> {
  return prisma.$queryRawUnsafe<EventRow[]>(
    `SELECT seq, id, type, occurred_at, data FROM rgs.event WHERE operator_id = $1::uuid AND seq > $2::bigint ORDER BY seq LIMIT $3`,
    operatorId,
    afterSeq,
    limit,
  );
}

/**
 * The last sequence number of each operator's committed events (0 for one without any). The
 * counter is updated in the transaction that writes the events and its row lock orders those
 * commits, so every event up to it is committed and readable.
 */
export async function lastCommitted(prisma: PrismaClient, operatorIds: string[]): Promise<Map<string, bigint>> {
  const rows = await prisma.$queryRawUnsafe<{ operator_id: string; last_seq: bigint }[]>(
    `SELECT operator_id, last_seq FROM rgs.event_counter WHERE operator_id = ANY($1::uuid[])`,
    operatorIds,
  );
  const last = new Map(operatorIds.map((id) => [id, 0n]));
  for (const row of rows) last.set(row.operator_id, row.last_seq);
  return last;
}
