import { createHash, randomUUID } from 'node:crypto';
import { EVENT_PAYLOADS, envelopeSchema, SCHEMA_VERSION, type EmittedEventType, type EventPayload, type TypedEnvelope } from '@rgb/contracts';
import { activeTraceparent } from '@rgb/kit/tracing';

/** One outbox table per producing domain, in that domain's schema. */
export type OutboxTable = 'player.outbox' | 'wallet.outbox' | 'rolling.outbox' | 'agent.outbox';

/** The slice of a Prisma (transaction) client the outbox needs. */
export interface SqlExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
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

/**
 * Writes an event into the caller's transaction, so it exists exactly when the change it
 * describes commits. Refuses (and so fails the caller's write) an envelope whose brand differs
 * from the owning row's brand, and a payload that does not match its type's schema.
 */
export async function appendToOutbox<T extends EmittedEventType>(
  tx: SqlExecutor,
  table: OutboxTable,
  event: NewEvent<T>,
): Promise<TypedEnvelope<T>> {
  const envelope = buildEnvelope(event);
  await tx.$executeRawUnsafe(
    `INSERT INTO ${table} (event_id, event_type, brand_id, envelope) VALUES ($1::uuid, $2, $3::uuid, $4::jsonb)`,
    envelope.event_id,
    envelope.event_type,
    envelope.brand_id,
    JSON.stringify(envelope),
  );
  return envelope;
}

/**
 * The envelope of an event, refused when its brand differs from the owning row's or when it or
 * its payload would not pass a consumer's checks. appendToOutbox writes it; a writer that puts
 * it into a statement of its own (a one-round-trip command) builds it here.
 */
export function buildEnvelope<T extends EmittedEventType>(event: NewEvent<T>): TypedEnvelope<T> {
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
