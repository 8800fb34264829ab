import { hostname } from 'node:os';
import {
  deadLetterStream,
  type EmittedEventType,
  EnvelopeError,
  EVENT_TYPES,
  parseEnvelope,
  STREAMS,
  type Envelope,
  type StreamKey,
  type StreamName,
  type TypedEnvelope,
} from '@rgb/contracts';
import { type PrismaClient, transientConflict } from '@rgb/db';
import type { Logger, Metrics, TickResult, WorkerLoop } from '@rgb/kit';
import { SERVICE_ATTRIBUTE, serviceOf, traceIdOf, withConsumerSpan } from '@rgb/kit/tracing';
import type { Redis } from 'ioredis';
import { Counter, Gauge } from 'prom-client';
import { type OutboxTransaction, outboxTransaction } from './outbox';

/** One inbox table per consuming domain: (consumer, event_id) of every event applied. */
export type InboxTable = 'admin.inbox' | 'rolling.inbox' | 'promotion.inbox' | 'agent.inbox';

/**
 * Applies one event, its payload parsed by its type's schema, inside the transaction that also
 * records it in the inbox: an outbox transaction, so a handler may emit events of its own domain.
 */
export type EventHandler<T extends EmittedEventType = EmittedEventType> = (tx: OutboxTransaction, event: TypedEnvelope<T>) => Promise<void>;

type StreamNameOf<Key extends StreamKey> = { [Name in StreamName]: (typeof STREAMS)[Name] extends Key ? Name : never }[StreamName];

/** The event types on a stream of docs/EVENTS.md, by its key; on a stream of any other key (a test's), every emitted type. */
export type StreamEventType<Key extends string> = Key extends StreamKey ? (typeof EVENT_TYPES)[StreamNameOf<Key>]['emitted'][number] : EmittedEventType;

/** A handler per event type, each given its type's envelope; only for types the stream carries. */
export type EventHandlers<Key extends string> = { [T in StreamEventType<Key>]?: EventHandler<T> };

/** How the consumer calls a handler: the entry's type picked it, and parseEnvelope checked the payload against that type's schema. */
type Dispatch = (tx: OutboxTransaction, event: Envelope) => Promise<void>;

const STREAM_TYPES = new Map<string, ReadonlySet<string>>(
  Object.entries(STREAMS).map(([name, key]) => [key, new Set<string>(EVENT_TYPES[name as StreamName].emitted)]),
);

export interface ConsumerOptions<Key extends string = string> {
  /** The consumer group, e.g. `admin.top-info`; also the inbox's consumer column. */
  group: string;
  stream: Key;
  prisma: PrismaClient;
  /** For acknowledgements, claims and dead letters. */
  redis: Redis;
  /** Blocking reads get a connection of their own, so they never hold up the commands above. */
  blockingRedis: Redis;
  inbox: InboxTable;
  /** By event type; other types are acknowledged and ignored. */
  handlers: EventHandlers<Key>;
  metrics: Metrics;
  log: Logger;
  /** This process's name within the group. */
  consumerName?: string;
  batchSize?: number;
  blockMs?: number;
  /** An entry pending this long with its consumer is presumed abandoned and claimed. */
  claimIdleMs?: number;
  /** Deliveries after which an entry that keeps failing is parked in the dead-letter stream. */
  maxDeliveries?: number;
  /**
   * Another consumer of the group silent this long, with nothing pending, is gone (a restarted
   * process reads under a new name) and is removed from the group.
   */
  deadConsumerIdleMs?: number;
  /** How often the group is swept for such consumers. */
  consumerSweepMs?: number;
  /** How often, at most, the group's backlog gauges are read from Redis while the consumer is busy. */
  backlogCheckMs?: number;
  /**
   * Told, after each commit, the events it applied (never a duplicate): to notify readers of
   * the projection. A failure is logged; the events stay applied and acknowledged.
   */
  afterCommit?: (events: Envelope[]) => Promise<void>;
}

type StreamEntry = [id: string, fields: string[]];

/** Attempts of a batch PostgreSQL aborts to break a deadlock (two replicas' batches locking rows of the same players). */
const CONFLICT_ATTEMPTS = 3;

/**
 * Runs `transaction` again, after a short random pause, when PostgreSQL aborted it to break a
 * deadlock or a serialization conflict (it kept nothing), rather than leaving its entries pending
 * until they are claimed again, out of order and a delivery nearer the dead-letter stream.
 */
async function retriedOnConflict<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= CONFLICT_ATTEMPTS || !transientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

/** Checks and removes in one step, so no consumer gains a pending entry between the two. */
const FORGET_DEAD_CONSUMERS = `
local removed = {}
for _, fields in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #fields, 2 do info[fields[i]] = fields[i + 1] end
  if info.name ~= ARGV[2] and tonumber(info.pending) == 0 and tonumber(info.idle) >= tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info.name)
    table.insert(removed, info.name)
  end
end
return removed`;
type Applicable = { id: string; event: Envelope };
type Outcome = 'applied' | 'duplicate' | 'ignored' | 'rejected' | 'failed';

function consumerMetrics(metrics: Metrics) {
  const registry = metrics.registry;
  const get = (name: string, help: string, labelNames: string[]) =>
    (registry.getSingleMetric(name) as Counter | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const gauge = (name: string, help: string, labelNames: string[]) =>
    (registry.getSingleMetric(name) as Gauge | undefined) ?? new Gauge({ name, help, labelNames, registers: [registry] });
  return {
    lag: gauge('events_consumer_lag', 'Entries of the stream the consumer group has not read yet (XINFO GROUPS lag)', ['stream', 'consumer']),
    pending: gauge('events_consumer_pending', 'Entries read by the consumer group and not acknowledged yet (XINFO GROUPS pending)', ['stream', 'consumer']),
    oldestPendingIdle: gauge(
      'events_consumer_oldest_pending_idle_seconds',
      'Time since the oldest entry the consumer group has not acknowledged was last delivered (XPENDING idle; 0 when none is pending)',
      ['stream', 'consumer'],
    ),
    consumed: get('events_consumed_total', 'Stream entries handled, by outcome', ['stream', 'consumer', 'outcome']),
    deadLettered: get('events_dead_lettered_total', 'Entries parked in the dead-letter stream, by reason', ['stream', 'consumer', 'reason']),
    legacy: get('event_legacy_schema_total', 'schema_version 1 events rejected', ['stream', 'consumer']),
    rejected: get('events_rejected_total', 'Events rejected before any handler ran, by reason', ['stream', 'consumer', 'reason']),
  };
}

/**
 * A consumer-group reader with inbox deduplication: the handler's change and the inbox row
 * commit together, and the entry is acknowledged only after that commit, so a redelivered or
 * republished event changes nothing. Entries left pending by a dead consumer are claimed after
 * `claimIdleMs`; an entry that failed `maxDeliveries` times, or that no handler may ever apply
 * (legacy schema, no brand, malformed), is parked in the dead-letter stream and counted.
 */
export class StreamConsumer<Key extends string = string> implements WorkerLoop {
  readonly name: string;
  private readonly handlers: Readonly<Record<string, Dispatch | undefined>>;
  readonly idleDelayMs = 0;
  private readonly consumerName: string;
  private readonly batchSize: number;
  private readonly blockMs: number;
  private readonly claimIdleMs: number;
  private readonly maxDeliveries: number;
  private readonly deadConsumerIdleMs: number;
  private readonly consumerSweepMs: number;
  private nextSweepAt = 0;
  private readonly backlogCheckMs: number;
  /** When the backlog gauges were last read from Redis, or tried. */
  private backlogReadAt = 0;
  /** Set while reading them fails: a streak of failures logs one warning. */
  private backlogReadFailing = false;
  private readonly meters: ReturnType<typeof consumerMetrics>;
  private groupReady = false;
  private deadLettered = 0;
  private lastDeadLetter: { id: string; reason: string; at: string } | null = null;
  /** The latest handler error of each entry that failed here, so its dead letter says why. */
  private readonly lastErrors = new Map<string, string>();

  constructor(private readonly options: ConsumerOptions<Key>) {
    this.name = `consumer ${options.group} <- ${options.stream}`;
    this.handlers = options.handlers as Record<string, Dispatch | undefined>;
    const carried = STREAM_TYPES.get(options.stream);
    const foreign = Object.keys(options.handlers).filter((type) => carried && !carried.has(type));
    if (foreign.length > 0) throw new Error(`${this.name}: the stream carries no ${foreign.join(', ')}`);
    this.consumerName = options.consumerName ?? `${hostname()}-${process.pid}`;
    this.batchSize = options.batchSize ?? 100;
    this.blockMs = options.blockMs ?? 1_000;
    this.claimIdleMs = options.claimIdleMs ?? 15_000;
    this.maxDeliveries = options.maxDeliveries ?? 5;
    this.deadConsumerIdleMs = options.deadConsumerIdleMs ?? 3_600_000;
    this.consumerSweepMs = options.consumerSweepMs ?? 300_000;
    this.backlogCheckMs = options.backlogCheckMs ?? 5_000;
    this.meters = consumerMetrics(options.metrics);
  }

  describe(): Record<string, unknown> {
    // `handles`: the event types it applies (and records in its inbox); it acknowledges the others unread.
    return { consumer: this.consumerName, handles: Object.keys(this.handlers), deadLettered: this.deadLettered, lastDeadLetter: this.lastDeadLetter };
  }

  async tick(): Promise<TickResult> {
    try {
      return await this.consume();
    } catch (error) {
      // The group vanishes with a Redis that restarted without persistence: create it again next turn.
      if (String(error).includes('NOGROUP')) this.groupReady = false;
      throw error;
    }
  }

  private async consume(): Promise<TickResult> {
    await this.ensureGroup();
    const claimed = await this.reclaimAbandoned();
    if (Date.now() >= this.nextSweepAt) {
      await this.forgetDeadConsumers();
      this.nextSweepAt = Date.now() + this.consumerSweepMs;
    }
    // An idle turn reads the group's record anyway (hasUndelivered); a busy one reads it here, so a backlog shows while it grows.
    if (Date.now() - this.backlogReadAt >= this.backlogCheckMs) await this.groupInfo();
    const { stream, group, blockingRedis } = this.options;
    const reply = (await blockingRedis.xreadgroup(
      'GROUP', group, this.consumerName, 'COUNT', this.batchSize, 'BLOCK', this.blockMs, 'STREAMS', stream, '>',
    )) as [string, StreamEntry[]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    const read = await this.handleAll(entries);
    const worked = claimed + read;
    const pending = worked > 0 ? entries.length === this.batchSize : await this.hasUndelivered();
    return { worked, pending };
  }

  /**
   * Applies a batch in one transaction: one inbox insert, the handlers, one commit, one XACK.
   * When a handler fails the batch rolls back and is applied entry by entry, so a poison event
   * holds up nothing but itself. Throws only when no entry could be handled at all.
   */
  private async handleAll(entries: StreamEntry[]): Promise<number> {
    const { stream, group, redis } = this.options;
    const applicable: Applicable[] = [];
    const ignored: string[] = [];
    let done = 0;
    for (const [id, fields] of entries) {
      const event = await this.parseOrReject(id, fields);
      if (!event) done++;
      else if (this.handlers[event.event_type]) applicable.push({ id, event });
      else ignored.push(id);
    }
    if (ignored.length > 0) {
      await redis.xack(stream, group, ...ignored);
      this.count('ignored', ignored.length);
      done += ignored.length;
    }
    const failures: { id: string; error: unknown; traceparent: string | undefined }[] = [];
    const apply = async (items: Applicable[]): Promise<void> => {
      try {
        await this.applyAndAck(items);
        done += items.length;
      } catch (error) {
        if (items.length === 1) failures.push({ id: items[0]!.id, error, traceparent: items[0]!.event.traceparent });
        else for (const item of items) await apply([item]);
      }
    };
    if (applicable.length > 0) await apply(applicable);
    for (const { id, error, traceparent } of failures) {
      this.count('failed');
      this.rememberError(id, error);
      this.options.log.error({ err: error, entry: id, stream, group, trace_id: traceIdOf(traceparent) }, 'event handler failed; the entry stays pending');
    }
    if (done === 0 && failures[0]) throw failures[0].error;
    return done;
  }

  /** Parses an entry; a refused envelope is counted, parked and acknowledged, and null returned. */
  private async parseOrReject(id: string, fields: string[]): Promise<Envelope | null> {
    const { stream, group } = this.options;
    try {
      return parseEnvelope(fieldValue(fields, 'event') ?? '');
    } catch (error) {
      if (!(error instanceof EnvelopeError)) throw error;
      if (error.reason === 'legacy_schema') this.meters.legacy.inc({ stream, consumer: group });
      this.meters.rejected.inc({ stream, consumer: group, reason: error.reason });
      this.options.log.error({ entry: id, stream, group, reason: error.reason, detail: error.message }, 'event rejected');
      await this.deadLetter(id, fields, error.reason);
      this.count('rejected');
      return null;
    }
  }

  /** The inbox rows and every handler's change commit together; only then are the entries acknowledged. */
  private async applyAndAck(items: Applicable[]): Promise<void> {
    const { stream, group, redis, prisma, inbox } = this.options;
    const applied = await retriedOnConflict(() => outboxTransaction(prisma, async (tx) => {
      const fresh = await tx.$queryRawUnsafe<{ event_id: string }[]>(
        `INSERT INTO ${inbox} (consumer, event_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING RETURNING event_id`,
        group,
        items.map((item) => item.event.event_id),
      );
      const unseen = new Set(fresh.map((row) => row.event_id));
      const handled: Envelope[] = [];
      for (const { event } of items) {
        // A republished event can sit twice in one batch: the set lets only its first copy through.
        // PostgreSQL returns uuids in lower case; an envelope may carry upper case (the schema allows it).
        if (!unseen.delete(event.event_id.toLowerCase())) continue;
        // The handler's work joins the trace of the request that caused the event.
        await withConsumerSpan(
          `process ${stream}`,
          event.traceparent,
          () => ({
            'messaging.operation.type': 'process',
            'messaging.destination.name': stream,
            'messaging.consumer.group.name': group,
            'messaging.message.id': event.event_id,
            'rgb.event_type': event.event_type,
            [SERVICE_ATTRIBUTE]: serviceOf(this.options.log),
          }),
          () => this.handlers[event.event_type]!(tx, event),
        );
        handled.push(event);
      }
      return handled;
    }));
    await redis.xack(stream, group, ...items.map((item) => item.id));
    for (const item of items) this.lastErrors.delete(item.id);
    this.count('applied', applied.length);
    this.count('duplicate', items.length - applied.length);
    if (applied.length > 0 && this.options.afterCommit) {
      await this.options.afterCommit(applied).catch((error: unknown) =>
        this.options.log.error({ err: error, stream, group }, 'after-commit notification failed; the events stay applied'),
      );
    }
  }

  /** Claims entries abandoned by any consumer of the group; parks those that failed too often. */
  private async reclaimAbandoned(): Promise<number> {
    const { stream, group, redis } = this.options;
    const pending = (await redis.xpending(stream, group, 'IDLE', this.claimIdleMs, '-', '+', this.batchSize)) as [string, string, number, number][];
    if (pending.length === 0) return 0;
    const retry: string[] = [];
    for (const [id, , , deliveries] of pending) {
      if (deliveries >= this.maxDeliveries) {
        // Claimed first, so of several consumers that saw it pending only one parks it; an entry
        // trimmed from the stream comes back empty (and leaves the pending list): nothing to park.
        const [owned] = (await redis.xclaim(stream, group, this.consumerName, this.claimIdleMs, id)) as StreamEntry[];
        if (owned?.[1]) await this.deadLetter(id, owned[1], `failed ${deliveries} deliveries`);
      } else {
        retry.push(id);
      }
    }
    if (retry.length === 0) return 0;
    const claimed = (await redis.xclaim(stream, group, this.consumerName, this.claimIdleMs, ...retry)) as StreamEntry[];
    // An entry trimmed from the stream comes back without fields: nothing left to apply.
    const live = claimed.filter(([, fields]) => fields);
    if (live.length > 0) this.options.log.warn({ stream, group, entries: live.length }, 'claimed entries abandoned by another consumer');
    return this.handleAll(live);
  }

  /**
   * Removes consumers that stopped reading long ago and hold nothing pending: their entries, if
   * any, are claimed first (reclaimAbandoned), so removing one loses nothing. A live consumer
   * reads every `blockMs`, so it is never this idle, and would simply be recreated by its next read.
   */
  private async forgetDeadConsumers(): Promise<void> {
    const { stream, group, redis, log } = this.options;
    const removed = (await redis.eval(FORGET_DEAD_CONSUMERS, 1, stream, group, this.consumerName, this.deadConsumerIdleMs)) as string[];
    for (const consumer of removed) log.info({ stream, group, consumer }, 'removed a consumer that stopped reading');
  }

  private async deadLetter(id: string, fields: string[], reason: string): Promise<void> {
    const { stream, group, redis } = this.options;
    // The last handler error, when this process saw it (another consumer may have failed it).
    const error = this.lastErrors.get(id);
    await redis
      .multi()
      .xadd(deadLetterStream(stream), '*', 'event', fieldValue(fields, 'event') ?? '', 'reason', reason, 'consumer', group, 'source_id', id, 'failed_at', new Date().toISOString(), ...(error ? ['error', error] : []))
      .xack(stream, group, id)
      .exec();
    this.lastErrors.delete(id);
    this.deadLettered++;
    this.lastDeadLetter = { id, reason, at: new Date().toISOString() };
    this.meters.deadLettered.inc({ stream, consumer: group, reason: reason.startsWith('failed') ? 'max_deliveries' : reason });
    this.options.log.error({ entry: id, stream, group, reason }, 'event parked in the dead-letter stream');
  }

  /**
   * Whether entries wait that no consumer of the group has read yet (Redis 7 `lag`); unknown
   * (the group's record unread) counts as no: the read that just came back empty saw none.
   */
  private async hasUndelivered(): Promise<boolean> {
    const mine = await this.groupInfo();
    return Number(mine?.lag ?? 0) > 0;
  }

  /**
   * The group's XINFO GROUPS record; sets the backlog gauges from it, and from XPENDING the idle
   * time of the oldest pending entry: entries in flight under steady traffic keep the pending
   * count above 0, while only an entry nobody delivers again grows old. Undefined when the read
   * fails: metrics never stop consumption, so the turn goes on and the gauges keep their values.
   */
  private async groupInfo(): Promise<Record<string, string | number | null> | undefined> {
    const { stream, group, redis, log } = this.options;
    this.backlogReadAt = Date.now();
    let groups: (string | number | null)[][];
    let oldest: [id: string, consumer: string, idleMs: number, deliveries: number][];
    try {
      [groups, oldest] = await Promise.all([
        redis.xinfo('GROUPS', stream) as Promise<(string | number | null)[][]>,
        redis.xpending(stream, group, '-', '+', 1) as Promise<[id: string, consumer: string, idleMs: number, deliveries: number][]>,
      ]);
    } catch (error) {
      if (!this.backlogReadFailing) log.warn({ err: error, stream, group }, 'reading the backlog gauges failed; consuming on, the gauges keep their last values');
      this.backlogReadFailing = true;
      return undefined;
    }
    if (this.backlogReadFailing) log.info({ stream, group }, 'backlog gauges read again');
    this.backlogReadFailing = false;
    const mine = groups.map(toRecord).find((info) => info.name === group);
    this.meters.pending.set({ stream, consumer: group }, Number(mine?.pending ?? 0));
    this.meters.oldestPendingIdle.set({ stream, consumer: group }, Number(oldest[0]?.[2] ?? 0) / 1000);
    // Redis cannot tell the lag (null) once entries the group has not read were trimmed or deleted: the last known value stays.
    if (mine?.lag != null) this.meters.lag.set({ stream, consumer: group }, Number(mine.lag));
    return mine;
  }

  private async ensureGroup(): Promise<void> {
    if (this.groupReady) return;
    try {
      // From the start of the stream: a new group must not skip what was written before it existed.
      await this.options.redis.xgroup('CREATE', this.options.stream, this.options.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
    this.groupReady = true;
  }

  private rememberError(id: string, error: unknown): void {
    this.lastErrors.delete(id);
    this.lastErrors.set(id, (error instanceof Error ? error.message : String(error)).slice(0, 1_000));
    // Entries that failed here and then succeeded elsewhere would stay forever: keep the newest.
    if (this.lastErrors.size > 1_000) this.lastErrors.delete(this.lastErrors.keys().next().value!);
  }

  private count(outcome: Outcome, by = 1): void {
    if (by > 0) this.meters.consumed.inc({ stream: this.options.stream, consumer: this.options.group, outcome }, by);
  }
}

function fieldValue(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function toRecord(flat: (string | number | null)[]): Record<string, string | number | null> {
  const record: Record<string, string | number | null> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1] ?? null;
  return record;
}
