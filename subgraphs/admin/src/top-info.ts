import type { TypedEnvelope } from '@rgb/contracts';
import type { Prisma } from '@rgb/db';

/**
 * PLAYER_REGISTERED → one more new player on that day, the day cut in the brand's own time
 * zone. An unknown brand has no time zone: the statement fails and the event is retried, then
 * parked, rather than counted on a wrong day.
 */
export async function countRegistration(tx: Prisma.TransactionClient, event: TypedEnvelope<'PLAYER_REGISTERED'>): Promise<void> {
  const registeredAt = event.payload.registered_at;
  await tx.$executeRaw`
    INSERT INTO admin.player_registration_daily (brand_id, day, count)
    VALUES (${event.brand_id}::uuid,
            (${registeredAt}::timestamptz AT TIME ZONE (SELECT timezone FROM admin.brand WHERE id = ${event.brand_id}::uuid))::date,
            1)
    ON CONFLICT (brand_id, day) DO UPDATE SET count = admin.player_registration_daily.count + 1`;
}
