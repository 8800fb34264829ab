import type { PrismaClient } from '@rgb/db';
import { signatureMatches } from '@rgb/kit';
import { z } from 'zod';
import { readJson, refusal, type WebhookAnswer } from './answers';
import { storableText, storeMessage } from './messages';

/** `POST /webhooks/sms` (docs/api/sms-devices.md): what a phone forwarding its SMS sends. Unknown fields are ignored. */
export const smsWebhookBody = z.object({
  device_id: storableText(1, 128),
  /** The number or name the SMS came from (a bank's is how its texts are told from others). */
  sender: storableText(0, 64),
  /** A long SMS (LMS) holds up to 2,000 bytes: no bank text is longer than this. */
  body: storableText(1, 2_000),
  /** At most 5 minutes ahead of our clock: a forwarder writing Korea's local time as UTC would leave its texts waiting 9 hours. */
  received_at: z.iso.datetime({ offset: true }).refine((at) => Date.parse(at) <= Date.now() + 5 * 60_000, 'received_at is in the future'),
});

/**
 * `POST /webhooks/sms`: the signature first (over the bytes, before anything reads them), then
 * the body; the text is stored for recon_worker and answered 202 with its id, the same id for
 * the same device, time and body delivered again.
 */
export async function receiveSms(prisma: PrismaClient, secret: string, rawBody: Buffer, signature: string | undefined): Promise<WebhookAnswer> {
  if (!signatureMatches(rawBody, secret, signature)) return refusal('UNAUTHENTICATED', 'X-Signature is not the HMAC-SHA256 of the body');
  const sms = readJson(rawBody, smsWebhookBody);
  const stored = await storeMessage(prisma, {
    channel: 'SMS',
    deviceId: sms.device_id,
    sender: sms.sender,
    body: sms.body,
    receivedAt: new Date(sms.received_at),
  });
  return { status: 202, body: { id: stored.id }, outcome: stored.duplicate ? 'duplicate' : 'accepted' };
}
