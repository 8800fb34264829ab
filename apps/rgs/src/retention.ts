import type { PrismaClient } from '@rgb/db';
import type { Logger, ScheduledJob } from '@rgb/kit';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Events deleted per statement: each delete is short, and a stop is seen between them. */
const CHUNK = 5_000;

/**
 * Deletes each operator's events older than `cutoff`, oldest first, never one its webhook lane
 * has still to send (from the lane's next_seq, or a redelivery asked for, on). Only a prefix of
 * the sequence goes: pruning stops at the first event not old enough, so what is kept has no gap
 * and a stream resuming from a pruned id learns it (`event: reset`). Deliveries go with their
 * events. The event counter stays: numbering goes on after a pruned event. Returns the events deleted.
 */
export async function pruneEvents(prisma: PrismaClient, cutoff: Date, signal?: AbortSignal): Promise<number> {
  // keep_from: the first event an operator's webhook still needs (0 for a webhook without a lane
  // yet: all of them); null without a webhook.
  const operators = await prisma.$queryRawUnsafe<{ id: string; keep_from: bigint | null }[]>(
    `SELECT o.id,
            CASE WHEN o.webhook_url IS NOT NULL AND o.webhook_secret_sealed IS NOT NULL THEN
              LEAST(COALESCE(c.next_seq, 0), (SELECT min(d.seq) FROM rgs.webhook_delivery d WHERE d.operator_id = o.id AND d.status = 'PENDING'))
            END AS keep_from
       FROM rgs.operator o LEFT JOIN rgs.webhook_cursor c ON c.operator_id = o.id`,
  );
  let deleted = 0;
  for (const operator of operators) {
    for (;;) {
      if (signal?.aborted) return deleted;
      const count = await prisma.$executeRawUnsafe(
        `WITH oldest AS (
           SELECT seq, occurred_at FROM rgs.event WHERE operator_id = $1::uuid ORDER BY seq LIMIT $2
         ), kept AS (
           SELECT min(seq) AS seq FROM oldest WHERE occurred_at >= $3::timestamptz OR seq >= $4::bigint
         )
         DELETE FROM rgs.event e USING oldest
          WHERE e.operator_id = $1::uuid AND e.seq = oldest.seq AND oldest.seq < COALESCE((SELECT seq FROM kept), oldest.seq + 1)`,
        operator.id,
        CHUNK,
        cutoff,
        operator.keep_from,
      );
      deleted += count;
      if (count < CHUNK) break;
    }
  }
  return deleted;
}

/** The hourly job pruning events past RGS_EVENT_RETENTION_DAYS (one replica runs it per hour). */
export function eventRetentionJob(deps: { prisma: PrismaClient; log: Logger; retentionDays: number }): ScheduledJob {
  return {
    name: 'rgs.event_retention',
    intervalMs: 60 * 60 * 1000,
    async run({ signal }) {
      const deleted = await pruneEvents(deps.prisma, new Date(Date.now() - deps.retentionDays * DAY_MS), signal);
      if (deleted > 0) deps.log.info({ deleted, retention_days: deps.retentionDays }, 'events past their retention pruned');
    },
  };
}
