import { createHash } from 'node:crypto';
import { forbidden } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { Doorbell } from '@rgb/kit';
import { z } from 'zod';
import { RECON_DOORBELL } from '../domain';

/** One bank text as a channel delivered it, before anything reads it. */
export type IncomingText = {
  deviceId: string;
  sender: string;
  body: string;
  receivedAt: Date;
} & (
  | { channel: 'SMS' }
  /** `deviceId` is `telegram:<chat id>`; an update is delivered again under the same update id. */
  | { channel: 'TELEGRAM'; updateId: number }
  /** Pushbullet's notification id (or the push's iden): a notification mirrored again keeps it. */
  | { channel: 'PUSH'; notificationKey: string }
);

export interface StoredText {
  id: string;
  /** The text had been stored already (a delivery repeated): `id` is the earlier row's and nothing new was stored. */
  duplicate: boolean;
}

/** What PostgreSQL cannot store in text (U+0000) or is not Unicode (half a surrogate pair): refused at the edge, never a fault at the insert. */
const UNSTORABLE = /[\0\p{Cs}]/u;

/** A string a channel delivers, of `min` to `max` characters, storable as text. */
export const storableText = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((text) => !UNSTORABLE.test(text), 'holds U+0000 or half a surrogate pair');

/**
 * What makes a delivery the same text as an earlier one, per channel: an SMS is its device, time
 * and body (the instant, whatever offset it was written with); a Telegram update its chat and
 * update id; a mirrored notification its device, notification and body (an app reuses its
 * notification id for every notification it shows).
 */
export function dedupeKeyOf(text: IncomingText): string {
  const parts =
    text.channel === 'SMS'
      ? ['sms', text.deviceId, text.receivedAt.toISOString(), text.body]
      : text.channel === 'TELEGRAM'
        ? ['telegram', text.deviceId, String(text.updateId)]
        : ['push', text.deviceId, text.notificationKey, text.body];
  return createHash('sha256').update(parts.join('|')).digest('hex');
}

/**
 * Stores a bank text as it arrived (RECEIVED, of its device's brand) and rings recon_worker's
 * doorbell; the same text delivered again is the row stored the first time (nothing new, no
 * ring). A device that is not registered, or no longer active, is refused (FORBIDDEN).
 */
export async function storeMessage(prisma: PrismaClient, text: IncomingText): Promise<StoredText> {
  const device = await prisma.reconDevice.findUnique({ where: { id: text.deviceId }, select: { brandId: true, active: true } });
  if (!device?.active) throw forbidden(`${text.deviceId} is not a registered, active recon device`);
  const dedupeKey = dedupeKeyOf(text);
  const [created] = await prisma.reconMessage.createManyAndReturn({
    data: {
      brandId: device.brandId,
      deviceId: text.deviceId,
      channel: text.channel,
      sender: text.sender,
      body: text.body,
      receivedAt: text.receivedAt,
      dedupeKey,
    },
    skipDuplicates: true,
    select: { id: true },
  });
  if (!created) return { id: (await prisma.reconMessage.findUniqueOrThrow({ where: { dedupeKey }, select: { id: true } })).id, duplicate: true };
  // After the commit, so the worker finds the row; a ring that fails is logged by the doorbell and the worker's poll finds it.
  Doorbell.of(prisma)?.ring(RECON_DOORBELL);
  return { id: created.id, duplicate: false };
}
