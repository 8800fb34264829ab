import { createHmac } from 'node:crypto';
import type { PrismaClient, RgsWebhookStatus } from '@rgb/db';
import type { Logger, TickResult } from '@rgb/kit';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { auditQuery } from './audit';
import { notFound } from './errors';
import { type EventRow, eventJson } from './events';
import { journaled, type Tx } from './journal';
import type { EventMetrics, WebhookBacklog } from './metrics';
import type { Operator } from './operators';
import { parseBody } from './parse';
import type { SecretBox } from './secrets';
import { UUID } from './seeds';

export interface WebhookPolicy {
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  /** How long a claim holds an operator's lane: more than one attempt can take. */
  leaseMs: number;
  /** The wait after failed attempt n is retryMs x 2^(n-1), at most maxRetryMs, taken between half and all of it. */
  retryMs: number;
  maxRetryMs: number;
  /** The attempt after which an event's delivery is failed and the lane moves on. */
  maxAttempts: number;
  /** Operators' lanes one instance runs at once. */
  maxLanes: number;
}

/** The signature operators verify (docs/api/rgs-operators.md): hex HMAC-SHA256, keyed by the operator's webhook secret, of `timestamp + "." + body`. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The wait before attempt n + 1: exponential, capped, and jittered so that lanes failing together do not retry together. */
export function backoffMs(failedAttempt: number, policy: Pick<WebhookPolicy, 'retryMs' | 'maxRetryMs'>, random = Math.random): number {
  const ceiling = Math.min(policy.retryMs * 2 ** (failedAttempt - 1), policy.maxRetryMs);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** What the logs name of a webhook URL: its host only, since its path or query may hold the operator's own token. */
function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : 'an invalid URL';
}

/** The event a lane sends next, and its attempts so far. */
interface Head extends EventRow {
  attempts: number;
  /** The event at the lane's next_seq (false: an earlier one the operator asked to have again). */
  in_sequence: boolean;
}

/** An operator's lane as the instance holding it sees it. */
interface Lane {
  operatorId: string;
  operatorCode: string;
  url: string;
  secretSealed: Uint8Array;
  /** The cursor's claim count this instance holds it under. */
  claims: bigint;
  nextSeq: bigint;
  head: Head;
}

type Attempt = { delivered: true; status: number } | { delivered: false; status: number | null; error: string };

/**
 * The lane's next event: a redelivery the operator asked for first (it is older than anything
 * the lane has still to send), else the event at next_seq. Sequence numbers have no gaps, so the
 * first event from next_seq on is that one, unless the events before it were pruned.
 */
async function nextHead(tx: Tx, operatorId: string, nextSeq: bigint): Promise<Head | null> {
  const [head] = await tx.$queryRawUnsafe<Head[]>(
    `(SELECT e.seq, e.id, e.type, e.occurred_at, e.data, d.attempts, false AS in_sequence
        FROM rgs.webhook_delivery d JOIN rgs.event e ON e.id = d.event_id
       WHERE d.operator_id = $1::uuid AND d.status = 'PENDING' AND d.seq < $2::bigint
       ORDER BY d.seq LIMIT 1)
     UNION ALL
     (SELECT e.seq, e.id, e.type, e.occurred_at, e.data, COALESCE(d.attempts, 0), true
        FROM rgs.event e LEFT JOIN rgs.webhook_delivery d ON d.event_id = e.id
       WHERE e.operator_id = $1::uuid AND e.seq >= $2::bigint
       ORDER BY e.seq LIMIT 1)
     LIMIT 1`,
    operatorId,
    nextSeq,
  );
  return head ?? null;
}

/**
 * Webhook delivery (docs/api/rgs-operators.md, "Webhooks"), derived from the event log: each operator with a
 * webhook URL and secret has a lane (rgs.webhook_cursor) holding the next event to send. A turn
 * claims due lanes FOR UPDATE SKIP LOCKED with a lease, and each claimed lane then runs apart from
 * the others (a slow receiver holds up its own operator only): it sends its head with no
 * transaction open, records the outcome only if its claim still stands, and goes on to the next
 * event while they are delivered. Head of line: an operator's next event waits until the one
 * before is delivered or, after the attempt limit, failed (audited; sent again only when the
 * operator asks, ahead of the events still to send). So events arrive in sequence order, each at
 * least once: a second send of one needs an instance stopped between sending it and recording it.
 */
export class WebhookDeliveries {
  private readonly agent: Agent;
  private readonly lanes = new Set<Promise<void>>();
  private stopping = false;
  /** Outcomes recorded since the last turn: the loop's progress. */
  private recorded = 0;
  private laneFailure: unknown = null;

  constructor(private readonly deps: { prisma: PrismaClient; box: SecretBox; log: Logger; metrics: EventMetrics; policy: WebhookPolicy }) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 4,
      connect: { timeout: deps.policy.connectTimeoutMs },
      headersTimeout: deps.policy.responseTimeoutMs,
      bodyTimeout: deps.policy.responseTimeoutMs,
    });
  }

  /** One turn of the loop: claims the due lanes there is room for and sets each running. */
  async tick(): Promise<TickResult> {
    if (this.laneFailure) {
      const failure = this.laneFailure;
      this.laneFailure = null;
      throw failure;
    }
    const room = this.deps.policy.maxLanes - this.lanes.size;
    const claimed = room > 0 ? await this.claim(room) : [];
    for (const lane of claimed) this.run(lane);
    const worked = claimed.length + this.recorded;
    this.recorded = 0;
    return { worked, pending: room > 0 && claimed.length === room };
  }

  /** Lets every running lane finish its attempt in flight and release its lease, then closes the HTTP client. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.lanes);
    await this.agent.close();
  }

  async backlog(): Promise<WebhookBacklog> {
    const [row] = await this.deps.prisma.$queryRawUnsafe<{ pending: bigint; lag_seconds: number }[]>(
      `SELECT COALESCE(sum(GREATEST(n.last_seq - c.next_seq + 1, 0)
                + (SELECT count(*) FROM rgs.webhook_delivery d WHERE d.operator_id = c.operator_id AND d.status = 'PENDING' AND d.seq < c.next_seq)), 0)::bigint AS pending,
              COALESCE(extract(epoch FROM now() - min(e.occurred_at)), 0)::float8 AS lag_seconds
         FROM rgs.webhook_cursor c
         JOIN rgs.operator o ON o.id = c.operator_id AND o.webhook_url IS NOT NULL AND o.webhook_secret_sealed IS NOT NULL
         LEFT JOIN rgs.event_counter n ON n.operator_id = c.operator_id
         LEFT JOIN rgs.event e ON e.operator_id = c.operator_id AND e.seq = c.next_seq`,
    );
    return { pending: Number(row!.pending), lagSeconds: row!.lag_seconds };
  }

  /**
   * Gives every operator with a webhook a lane (from its oldest event kept), then claims the due
   * lanes with work: events from next_seq on, or a redelivery asked for.
   */
  private async claim(limit: number): Promise<Lane[]> {
    const { prisma, policy } = this.deps;
    return prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(
        `INSERT INTO rgs.webhook_cursor (operator_id, next_seq)
         SELECT o.id, COALESCE((SELECT min(e.seq) FROM rgs.event e WHERE e.operator_id = o.id), (SELECT n.last_seq + 1 FROM rgs.event_counter n WHERE n.operator_id = o.id), 1)
           FROM rgs.operator o
          WHERE o.webhook_url IS NOT NULL AND o.webhook_secret_sealed IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM rgs.webhook_cursor c WHERE c.operator_id = o.id)
         ON CONFLICT (operator_id) DO NOTHING`,
      );
      const claimed = await tx.$queryRawUnsafe<{ operator_id: string; next_seq: bigint; claims: bigint; code: string; webhook_url: string; webhook_secret_sealed: Uint8Array }[]>(
        `WITH due AS (
           SELECT c.operator_id FROM rgs.webhook_cursor c
             JOIN rgs.operator o ON o.id = c.operator_id
            WHERE o.webhook_url IS NOT NULL AND o.webhook_secret_sealed IS NOT NULL
              AND c.next_attempt_at <= now() AND (c.lease_until IS NULL OR c.lease_until <= now())
              AND (EXISTS (SELECT 1 FROM rgs.event_counter n WHERE n.operator_id = c.operator_id AND n.last_seq >= c.next_seq)
                   OR EXISTS (SELECT 1 FROM rgs.webhook_delivery d WHERE d.operator_id = c.operator_id AND d.status = 'PENDING' AND d.seq < c.next_seq))
            ORDER BY c.next_attempt_at LIMIT $1
              FOR UPDATE OF c SKIP LOCKED
         )
         UPDATE rgs.webhook_cursor c
            SET claims = c.claims + 1, lease_until = now() + $2::double precision * interval '1 millisecond'
           FROM due JOIN rgs.operator o ON o.id = due.operator_id
          WHERE c.operator_id = due.operator_id
         RETURNING c.operator_id, c.next_seq, c.claims, o.code, o.webhook_url, o.webhook_secret_sealed`,
        limit,
        policy.leaseMs,
      );
      const lanes: Lane[] = [];
      for (const row of claimed) {
        const head = await nextHead(tx, row.operator_id, row.next_seq);
        if (!head) {
          await tx.$executeRawUnsafe(`UPDATE rgs.webhook_cursor SET lease_until = NULL WHERE operator_id = $1::uuid`, row.operator_id);
          continue;
        }
        lanes.push({
          operatorId: row.operator_id,
          operatorCode: row.code,
          url: row.webhook_url,
          secretSealed: row.webhook_secret_sealed,
          claims: row.claims,
          nextSeq: row.next_seq,
          head,
        });
      }
      return lanes;
    });
  }

  private run(first: Lane): void {
    const running: Promise<void> = (async () => {
      let lane: Lane | null = first;
      while (lane) lane = await this.record(lane, await this.send(lane));
    })()
      .catch((error: unknown) => {
        // The lane's lease runs out, then it is claimed again (its head sent again: receivers dedupe by id).
        this.laneFailure = error;
        this.deps.log.error({ err: error, operator: first.operatorCode }, 'webhook lane failed');
      })
      .finally(() => this.lanes.delete(running));
    this.lanes.add(running);
  }

  /** One POST of the lane's head, signed as operators expect; any 2xx is delivery. */
  private async send(lane: Lane): Promise<Attempt> {
    const body = eventJson(lane.head);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let signature: string;
    try {
      signature = webhookSignature(this.deps.box.open('webhook_secret', lane.secretSealed), timestamp, body);
    } catch (error) {
      return { delivered: false, status: null, error: `the webhook secret cannot be opened: ${error instanceof Error ? error.message : String(error)}` };
    }
    try {
      const response = await request(lane.url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'x-rgs-timestamp': timestamp, 'x-rgs-signature': signature },
        body,
      });
      await response.body.dump({ limit: 64 * 1024 });
      const status = response.statusCode;
      return status >= 200 && status < 300 ? { delivered: true, status } : { delivered: false, status, error: `answered ${status}` };
    } catch (error) {
      return { delivered: false, status: null, error: `no answer: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /**
   * Records an attempt, if the lane's claim still stands, and takes the lane's next event when
   * this one is settled (delivered or failed) and there is one: the next send needs no new claim.
   * Null when the lane stops: it waits for a backoff, it has nothing left, or it was taken over.
   */
  private async record(lane: Lane, attempt: Attempt): Promise<Lane | null> {
    const { prisma, policy, metrics, log } = this.deps;
    const { head } = lane;
    const attempts = head.attempts + 1;
    const status: RgsWebhookStatus = attempt.delivered ? 'DELIVERED' : attempts >= policy.maxAttempts ? 'FAILED' : 'PENDING';
    const settled = status !== 'PENDING';
    const nextSeq = settled && head.in_sequence ? head.seq + 1n : lane.nextSeq;
    const waitMs = settled ? 0 : backoffMs(attempts, policy);
    const error = attempt.delivered ? null : attempt.error;
    const recorded = await journaled(prisma, null, async (tx, journal) => {
      // Held until the commit: the claim is checked and the lane moved in one step.
      const [held] = await tx.$queryRawUnsafe<unknown[]>(
        `SELECT 1 FROM rgs.webhook_cursor WHERE operator_id = $1::uuid AND claims = $2::bigint FOR UPDATE`,
        lane.operatorId,
        lane.claims,
      );
      // Claimed again since (this attempt outlived the lease): the holder sends and records it.
      if (!held) return null;
      await tx.$executeRawUnsafe(
        `INSERT INTO rgs.webhook_delivery (event_id, operator_id, seq, status, attempts, last_error, last_response_status, delivered_at, failed_at)
         VALUES ($1::uuid, $2::uuid, $3::bigint, $4::rgs."RgsWebhookStatus", $5, $6, $7,
                 CASE WHEN $4::rgs."RgsWebhookStatus" = 'DELIVERED' THEN now() END, CASE WHEN $4::rgs."RgsWebhookStatus" = 'FAILED' THEN now() END)
         ON CONFLICT (event_id) DO UPDATE
           SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, last_error = COALESCE(EXCLUDED.last_error, rgs.webhook_delivery.last_error),
               last_response_status = EXCLUDED.last_response_status, updated_at = now(), delivered_at = EXCLUDED.delivered_at,
               failed_at = COALESCE(EXCLUDED.failed_at, rgs.webhook_delivery.failed_at)`,
        head.id,
        lane.operatorId,
        head.seq,
        status,
        attempts,
        error,
        attempt.status,
      );
      // After the delivery is written: a redelivery just settled is no longer pending.
      const next = settled && !this.stopping ? await nextHead(tx, lane.operatorId, nextSeq) : null;
      const [cursor] = await tx.$queryRawUnsafe<{ claims: bigint }[]>(
        `UPDATE rgs.webhook_cursor
            SET next_seq = $2::bigint, next_attempt_at = now() + $3::double precision * interval '1 millisecond', claims = claims + 1,
                lease_until = CASE WHEN $4::boolean THEN now() + $5::double precision * interval '1 millisecond' END
          WHERE operator_id = $1::uuid
          RETURNING claims`,
        lane.operatorId,
        nextSeq,
        waitMs,
        next !== null,
        policy.leaseMs,
      );
      if (status === 'FAILED') {
        journal.audit(lane.operatorId, {
          action: 'webhook.failed',
          targetType: 'event',
          targetId: head.id,
          details: { seq: head.seq.toString(), type: head.type, attempts, last_error: error, last_response_status: attempt.status },
        });
      }
      return { claims: cursor!.claims, next };
    });
    if (!recorded) {
      log.warn({ operator: lane.operatorCode, event_id: head.id }, 'webhook lane taken over by another instance: its attempt is not recorded here');
      return null;
    }
    this.recorded++;
    metrics.webhookDeliveries.inc({ outcome: status === 'DELIVERED' ? 'delivered' : status === 'FAILED' ? 'failed' : 'retry' });
    const host = hostOf(lane.url);
    if (status === 'FAILED') {
      log.error({ operator: lane.operatorCode, host, event_id: head.id, attempts, error }, 'webhook failed after the attempt limit: the operator may ask for it again');
    } else if (status === 'PENDING') {
      log.warn({ operator: lane.operatorCode, host, event_id: head.id, attempts, error, retry_in_ms: waitMs }, 'webhook attempt failed');
    }
    return recorded.next && { ...lane, claims: recorded.claims, nextSeq, head: recorded.next };
  }
}

/** A delivery as GET /webhooks and POST /webhooks/{id}/retry answer it; `id` is its event's. */
interface DeliveryView {
  id: string;
  seq: string;
  type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  last_response_status: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
  failed_at: string | null;
}

const DELIVERY_FIELDS = {
  eventId: true,
  seq: true,
  status: true,
  attempts: true,
  lastError: true,
  lastResponseStatus: true,
  createdAt: true,
  updatedAt: true,
  deliveredAt: true,
  failedAt: true,
  event: { select: { type: true } },
} as const;

type DeliveryRow = {
  eventId: string;
  seq: bigint;
  status: RgsWebhookStatus;
  attempts: number;
  lastError: string | null;
  lastResponseStatus: number | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
  event: { type: string };
};

const deliveryView = (row: DeliveryRow): DeliveryView => ({
  id: row.eventId,
  seq: row.seq.toString(),
  type: row.event.type,
  status: row.status.toLowerCase() as DeliveryView['status'],
  attempts: row.attempts,
  last_error: row.lastError,
  last_response_status: row.lastResponseStatus,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
  delivered_at: row.deliveredAt?.toISOString() ?? null,
  failed_at: row.failedAt?.toISOString() ?? null,
});

/** Pages as GET /audit does (the cursor a `seq`), optionally of one status. */
const webhookQuery = auditQuery.extend({ status: z.enum(['pending', 'delivered', 'failed']).optional() });

/** GET /webhooks: the operator's deliveries (events sent at least once), newest event first. */
export async function listWebhooks(prisma: PrismaClient, operator: Operator, query: unknown): Promise<{ items: DeliveryView[]; next_cursor: string | null }> {
  const { limit, cursor, status } = parseBody(webhookQuery, query);
  const rows = await prisma.rgsWebhookDelivery.findMany({
    where: {
      operatorId: operator.id,
      ...(status ? { status: status.toUpperCase() as RgsWebhookStatus } : {}),
      ...(cursor ? { seq: { lt: BigInt(cursor) } } : {}),
    },
    orderBy: { seq: 'desc' },
    take: limit + 1,
    select: DELIVERY_FIELDS,
  });
  const page = rows.slice(0, limit);
  return { items: page.map(deliveryView), next_cursor: rows.length > limit ? page.at(-1)!.seq.toString() : null };
}

/**
 * POST /webhooks/{id}/retry: sends a failed (or delivered) event of the operator again, with a
 * fresh attempt budget, before the events its lane has still to send, and makes the lane due at
 * once (the operator says its receiver is back). A delivery already pending is answered as it is.
 */
export async function retryWebhook(prisma: PrismaClient, operator: Operator, eventId: string, requestId: string): Promise<DeliveryView> {
  if (!UUID.test(eventId)) throw notFound(`no webhook delivery ${eventId}`);
  return journaled(prisma, requestId, async (tx, journal) => {
    // Locked first: two retries of one delivery requeue (and audit) it once.
    await tx.$queryRawUnsafe(`SELECT 1 FROM rgs.webhook_delivery WHERE event_id = $1::uuid AND operator_id = $2::uuid FOR UPDATE`, eventId, operator.id);
    const current = await tx.rgsWebhookDelivery.findFirst({ where: { eventId, operatorId: operator.id }, select: DELIVERY_FIELDS });
    if (!current) throw notFound(`no webhook delivery ${eventId}`);
    if (current.status === 'PENDING') return deliveryView(current);
    const requeued = await tx.rgsWebhookDelivery.update({
      where: { eventId },
      data: { status: 'PENDING', attempts: 0, updatedAt: new Date() },
      select: DELIVERY_FIELDS,
    });
    await tx.rgsWebhookCursor.updateMany({ where: { operatorId: operator.id }, data: { nextAttemptAt: new Date() } });
    journal.audit(operator.id, {
      action: 'webhook.retry',
      targetType: 'event',
      targetId: eventId,
      details: { seq: current.seq.toString(), type: current.event.type, previous_status: current.status.toLowerCase(), attempts: current.attempts },
    });
    return deliveryView(requeued);
  });
}
