import { z } from 'zod';
import { EVENT_PAYLOADS, type EventPayload } from './payloads';
import type { EmittedEventType } from './streams';

/** Envelope schema version: 2 is the first with `brand_id` (ADR-009); 1 is refused. */
export const SCHEMA_VERSION = 2;

/** The event envelope of docs/EVENTS.md, stored as JSON in the entry's one field, `event`. */
export const envelopeSchema = z.object({
  event_id: z.uuid(),
  event_type: z.string().regex(/^[A-Z][A-Z_]*$/),
  schema_version: z.literal(SCHEMA_VERSION),
  brand_id: z.uuid(),
  aggregate_type: z.string().min(1),
  aggregate_id: z.string().min(1),
  occurred_at: z.iso.datetime({ offset: true }),
  /** W3C traceparent of the request that caused the event, when there was one. */
  traceparent: z.string().optional(),
  payload: z.record(z.string(), z.unknown()),
});
export type Envelope = z.infer<typeof envelopeSchema>;

/** The envelope of one emitted event type, with its payload typed. */
export type TypedEnvelope<T extends EmittedEventType> = Omit<Envelope, 'event_type' | 'payload'> & {
  event_type: T;
  payload: EventPayload<T>;
};

export type EnvelopeRejection = 'malformed' | 'legacy_schema' | 'missing_brand' | 'invalid_payload';

export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
  constructor(
    readonly reason: EnvelopeRejection,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses an entry's `event` field. Refuses, each with its own reason: a non-JSON or malformed
 * envelope, `schema_version` 1, a missing or unparseable brand, and a payload that does not
 * match its type's schema. Unknown event types pass (consumers ignore what they do not handle).
 */
export function parseEnvelope(raw: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new EnvelopeError('malformed', 'event is not JSON');
  }
  const candidate = json as Partial<Record<keyof Envelope, unknown>> | null;
  if (candidate && typeof candidate === 'object' && candidate.schema_version !== SCHEMA_VERSION) {
    if (candidate.schema_version === 1) throw new EnvelopeError('legacy_schema', 'schema_version 1 events are no longer accepted');
  }
  if (candidate && typeof candidate === 'object' && !z.uuid().safeParse(candidate.brand_id).success) {
    throw new EnvelopeError('missing_brand', 'event has no valid brand_id');
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    throw new EnvelopeError('malformed', `malformed envelope: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const payloadSchema = (EVENT_PAYLOADS as Record<string, z.ZodType>)[parsed.data.event_type];
  if (payloadSchema) {
    const payload = payloadSchema.safeParse(parsed.data.payload);
    if (!payload.success) {
      throw new EnvelopeError('invalid_payload', `invalid ${parsed.data.event_type} payload: ${payload.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
  }
  return parsed.data;
}
