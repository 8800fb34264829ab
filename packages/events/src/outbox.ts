import { createHash, randomUUID } from 'node:crypto';
import {
  EVENT_PAYLOADS,
  EVENT_TYPES,
  envelopeSchema,
  SCHEMA_VERSION,
  type EmittedEventType,
  type EventPayload,
  type StreamName,
  type TypedEnvelope,
} from '@rgb/contracts';
import type { Prisma, PrismaClient } from '@rgb/db';
import { Doorbell } from '@rgb/kit';
import { activeTraceparent } from '@rgb/kit/tracing';

/** One outbox table per producing domain, in that domain's schema. */
export type OutboxTable = 'player.outbox' | 'wallet.outbox' | 'rolling.outbox' | 'agent.outbox' | 'game.outbox' | 'promotion.outbox' | 'recon.outbox';

/** The stream each outbox is published to: it takes only the event types that stream emits. */
export const OUTBOX_STREAMS = {
  'player.outbox': 'player',
  'wallet.outbox': 'wallet',
  'rolling.outbox': 'rolling',
  'agent.outbox': 'agent',
  'game.outbox': 'game',
  'promotion.outbox': 'promotion',
  'recon.outbox': 'recon',
} as const satisfies Record<OutboxTable, StreamName>;

/** The event types an outbox takes: those its stream emits. */
export type OutboxEventType<Table extends OutboxTable> = (typeof EVENT_TYPES)[(typeof OUTBOX_STREAMS)[Table]]['emitted'][number];

const OUTBOX_TYPES = new Map<string, ReadonlySet<string>>(
  Object.entries(OUTBOX_STREAMS).map(([table, stream]) => [table, new Set<string>(EVENT_TYPES[stream].emitted)]),
);

/** The Redis channel an outbox's doorbell rings on: its publisher wakes on it (WorkerLoop.wakeChannel). */
export const outboxDoorbell = (table: OutboxTable): string => `rgb:outbox-doorbell:${table}`;

declare const outboxTransactionBrand: unique symbol;

/** A transaction of outboxTransaction: the only kind appendToOutbox writes into. */
export type OutboxTransaction = Prisma.TransactionClient & { readonly [outboxTransactionBrand]: true };

/** The outboxes each open outbox transaction wrote into. */
const written = new WeakMap<Prisma.TransactionClient, Set<OutboxTable>>();

/**
 * Every transaction that may write outbox rows runs here: once it has committed, the doorbell of
 * each outbox it wrote into rings (kit's Doorbell, on the client's Redis: one PUBLISH, coalesced,
 * not awaited), so its publisher takes the rows at once rather than at its next poll. A
 * transaction that wrote none rings nothing; one that failed rings nothing, since it wrote nothing.
 */
export async function outboxTransaction<T>(
  prisma: PrismaClient,
  work: (tx: OutboxTransaction) => Promise<T>,
  options?: { maxWait?: number; timeout?: number },
): Promise<T> {
  const tables = new Set<OutboxTable>();
  const result = await prisma.$transaction((tx) => {
    written.set(tx, tables);
    return work(tx as OutboxTransaction);
  }, options);
  for (const table of tables) ringOutbox(prisma, table);
  return result;
}

/**
 * Rings `table`'s doorbell: for a writer that puts an envelope (buildEnvelope) into a statement of
 * its own, once that statement has committed. outboxTransaction does it for everyone else.
 */
export function ringOutbox(prisma: PrismaClient, table: OutboxTable): void {
  Doorbell.of(prisma)?.ring(outboxDoorbell(table));
}

export interface NewEvent<T extends EmittedEventType> {
  type: T;
  /** A fixed id makes the event itself idempotent: the outbox refuses a second one (see derivedEventId). */
  eventId?: string;
  /** The brand of the row the event is about: must equal `brandId`. */
  owner: { brandId: string };
  brandId: string;
  aggregateType: string;
  aggregateId: string;
  payload: EventPayload<T>;
  /** The request's trace context without the SDK; with it, the active span's is written instead. */
  traceparent?: string;
}

export class OutboxBrandMismatchError extends Error {
  override readonly name = 'OutboxBrandMismatchError';
}

/** An event of a type another stream emits (a caller that escaped the compile-time check). */
export class OutboxStreamMismatchError extends Error {
  override readonly name = 'OutboxStreamMismatchError';
}

/**
 * Writes an event into the caller's transaction (one of outboxTransaction, which rings the
 * outbox's doorbell once it commits), so it exists exactly when the change it describes commits.
 * Refuses (and so fails the caller's write) an event of a type the table's stream does not emit,
 * an envelope whose brand differs from the owning row's brand, and a payload that does not match
 * its type's schema.
 */
export async function appendToOutbox<Table extends OutboxTable, T extends OutboxEventType<Table>>(
  tx: OutboxTransaction,
  table: Table,
  event: NewEvent<T>,
): Promise<TypedEnvelope<T>> {
  const tables = written.get(tx);
  // The type already requires it; this catches a transaction cast into one.
  if (!tables) throw new Error(`${table}: appendToOutbox writes only in a transaction of outboxTransaction, which rings the outbox once it commits`);
  const envelope = buildEnvelope(table, event);
  await tx.$executeRawUnsafe(
    `INSERT INTO ${table} (event_id, event_type, brand_id, envelope) VALUES ($1::uuid, $2, $3::uuid, $4::jsonb)`,
    envelope.event_id,
    envelope.event_type,
    envelope.brand_id,
    JSON.stringify(envelope),
  );
  tables.add(table);
  return envelope;
}

/**
 * The envelope of an event for `table`, refused when the table's stream does not emit its type,
 * when its brand differs from the owning row's, or when it or its payload would not pass a
 * consumer's checks. appendToOutbox writes it; a writer that puts it into a statement of its own
 * (a one-round-trip command) builds it here, and rings the outbox (ringOutbox) once it committed.
 */
export function buildEnvelope<Table extends OutboxTable, T extends OutboxEventType<Table>>(table: Table, event: NewEvent<T>): TypedEnvelope<T> {
  if (!OUTBOX_TYPES.get(table)?.has(event.type)) {
    throw new OutboxStreamMismatchError(`${table} takes the event types of stream ${OUTBOX_STREAMS[table]}, not ${event.type}`);
  }
  if (event.brandId !== event.owner.brandId) {
    throw new OutboxBrandMismatchError(
      `${event.type} for ${event.aggregateType} ${event.aggregateId}: envelope brand ${event.brandId} differs from the row's brand ${event.owner.brandId}`,
    );
  }
  const payload = EVENT_PAYLOADS[event.type].parse(event.payload) as EventPayload<T>;
  const traceparent = activeTraceparent() ?? event.traceparent;
  const envelope: TypedEnvelope<T> = {
    event_id: event.eventId ?? randomUUID(),
    event_type: event.type,
    schema_version: SCHEMA_VERSION,
    brand_id: event.brandId,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    occurred_at: new Date().toISOString(),
    ...(traceparent ? { traceparent } : {}),
    payload,
  };
  // What consumers would refuse (an empty aggregate id, a non-uuid brand...) is refused here, at write time.
  envelopeSchema.parse(envelope);
  return envelope;
}

/**
 * A UUID (version 5 layout, SHA-1 of `name` in a namespace of our own) that is the same for the
 * same name: an event that must exist at most once per fact takes it as its id.
 */
export function derivedEventId(name: string): string {
  const bytes = createHash('sha1').update('rgb-events:').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
