import type { PrismaClient } from '@rgb/db';
import type { Metrics, TickResult, WorkerLoop } from '@rgb/kit';
import { recordProducerSpans, SERVICE_ATTRIBUTE, tracingActive } from '@rgb/kit/tracing';
import type { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { outboxDoorbell, type OutboxTable } from './outbox';

export interface PublisherOptions {
  prisma: PrismaClient;
  redis: Redis;
  table: OutboxTable;
  stream: string;
  metrics: Metrics;
  batchSize?: number;
  /** Approximate stream length kept (XADD MAXLEN ~): consumers must keep up within it. */
  maxStreamLength?: number;
  /** The poll of an idle publisher: it takes rows at once when their commit rings its doorbell, at its next poll when the ring was lost. */
  idleDelayMs?: number;
  /** The pause after a turn that published everything waiting (WorkerLoop.lingerMs). */
  lingerMs?: number;
  /**
   * How often an idle publisher makes sure it could still append (a PING), so a Redis that went
   * away shows in health while there is nothing to publish, not only when the next event comes.
   */
  reachCheckMs?: number;
}

interface ClaimedRow {
  id: bigint;
  envelope: string;
  created_at: Date;
}

function metricsFor(metrics: Metrics) {
  const registry = metrics.registry;
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    published: get('outbox_published_total', () => new Counter({ name: 'outbox_published_total', help: 'Outbox events appended to their stream', labelNames: ['stream'], registers: [registry] })),
    failures: get('outbox_publish_failures_total', () => new Counter({ name: 'outbox_publish_failures_total', help: 'Publish turns that failed (the events stay in the outbox)', labelNames: ['stream'], registers: [registry] })),
    lag: get('outbox_publish_lag_seconds', () => new Gauge({ name: 'outbox_publish_lag_seconds', help: 'Age of the oldest event of the latest batch when it was claimed', labelNames: ['stream'], registers: [registry] })),
  };
}

/**
 * Appends unpublished outbox rows to their stream. Rows are claimed with FOR UPDATE SKIP LOCKED,
 * so several publishers share the work without waiting on each other; a batch is one pipelined
 * round trip to Redis, and is marked published in the transaction that claimed it. A crash
 * between XADD and COMMIT republishes the batch: consumers deduplicate by event_id. An idle
 * publisher wakes when a commit that wrote its outbox rings the outbox's doorbell
 * (outboxTransaction), and polls besides.
 */
export class OutboxPublisher implements WorkerLoop {
  readonly name: string;
  readonly idleDelayMs: number;
  readonly lingerMs: number;
  readonly wakeChannel: string;
  private readonly batchSize: number;
  private readonly maxStreamLength: number;
  private readonly reachCheckMs: number;
  private readonly counters: ReturnType<typeof metricsFor>;
  /** When Redis last answered this publisher; a busy one never needs to ask. */
  private reachedAt = 0;

  constructor(private readonly options: PublisherOptions) {
    this.name = `publisher ${options.table} -> ${options.stream}`;
    this.wakeChannel = outboxDoorbell(options.table);
    this.batchSize = options.batchSize ?? 500;
    this.maxStreamLength = options.maxStreamLength ?? 1_000_000;
    // An idle probe costs every producing worker CPU on every turn; 100 ms bounds both that cost and the wait of an event whose ring was lost.
    this.idleDelayMs = options.idleDelayMs ?? 100;
    // Under a steady trickle of events, publishing each one as it comes costs a probe and a
    // claiming transaction per event (it was most of the wallet worker's database time in
    // bench:callbacks); 20 ms of waiting lets a turn take the events of 20 ms at once.
    this.lingerMs = options.lingerMs ?? 20;
    this.reachCheckMs = options.reachCheckMs ?? 1_000;
    this.counters = metricsFor(options.metrics);
  }

  async tick(): Promise<TickResult> {
    const { prisma, redis, table, stream } = this.options;
    try {
      // Idle turns are most turns: a plain indexed probe first, a claiming transaction only when there is work.
      // Both read the outbox's partial index of unpublished rows; the ORDER BY keeps the probe on it
      // when the statistics overestimate the unpublished rows (a seq scan then looks cheaper for LIMIT 1).
      const [waiting] = await prisma.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM ${table} WHERE published_at IS NULL ORDER BY id LIMIT 1`);
      if (!waiting) {
        this.counters.lag.set({ stream }, 0);
        await this.checkReach();
        return { worked: 0, pending: false };
      }
      const published = await prisma.$transaction(
        async (tx) => {
          const rows = await tx.$queryRawUnsafe<ClaimedRow[]>(
            `SELECT id, envelope::text AS envelope, created_at FROM ${table}
             WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
            this.batchSize,
          );
          if (rows.length === 0) return 0;
          this.counters.lag.set({ stream }, (Date.now() - rows[0]!.created_at.getTime()) / 1000);
          const sendingSince = Date.now();
          const pipeline = redis.pipeline();
          for (const row of rows) pipeline.xadd(stream, 'MAXLEN', '~', this.maxStreamLength, '*', 'event', row.envelope);
          const results = (await pipeline.exec().catch((error: unknown) => this.redisFailure(error))) ?? [];
          const failed = results.find(([error]) => error);
          if (failed) this.redisFailure(failed[0]);
          this.reachedAt = Date.now();
          if (tracingActive()) this.traceSent(rows, sendingSince);
          await tx.$executeRawUnsafe(
            `UPDATE ${table} SET published_at = now() WHERE id = ANY($1::bigint[])`,
            rows.map((row) => row.id.toString()),
          );
          return rows.length;
        },
        { timeout: 15_000 },
      );
      if (published === 0) this.counters.lag.set({ stream }, 0);
      this.counters.published.inc({ stream }, published);
      return { worked: published, pending: published === this.batchSize };
    } catch (error) {
      this.counters.failures.inc({ stream });
      throw error;
    }
  }

  /** A PRODUCER span per event appended, in the trace of the request that wrote it. */
  private traceSent(rows: ClaimedRow[], since: number): void {
    const { stream, table, metrics } = this.options;
    recordProducerSpans(
      `send ${stream}`,
      rows.map((row) => {
        const { event_id, event_type, traceparent } = JSON.parse(row.envelope) as { event_id: string; event_type: string; traceparent?: string };
        return {
          traceparent,
          attributes: {
            'messaging.operation.type': 'send',
            'messaging.destination.name': stream,
            'messaging.message.id': event_id,
            'rgb.event_type': event_type,
            'rgb.outbox': table,
            [SERVICE_ATTRIBUTE]: metrics.service,
          },
        };
      }),
      since,
    );
  }

  /** An idle turn fails, as a publishing one would, when Redis has not answered for `reachCheckMs` and does not answer now. */
  private async checkReach(): Promise<void> {
    if (Date.now() - this.reachedAt < this.reachCheckMs) return;
    await this.options.redis.ping().catch((error: unknown) => this.redisFailure(error));
    this.reachedAt = Date.now();
  }

  /** ioredis's own messages ("Stream isn't writeable...") name neither Redis nor the stream; health shows this one. */
  private redisFailure(error: unknown): never {
    throw new Error(`Redis: cannot append to ${this.options.stream}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
