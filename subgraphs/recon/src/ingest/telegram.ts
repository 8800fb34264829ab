import type { PrismaClient } from '@rgb/db';
import { z } from 'zod';
import { readJson, refusal, sameSecret, type WebhookAnswer } from './answers';
import { storableText, storeMessage } from './messages';

/** A message or channel post as Telegram's Bot API sends it: only what a forwarded text needs. */
const chatMessage = z.object({
  /** `private`, `group`, `supergroup` or `channel`. */
  chat: z.object({ id: z.number().int(), type: z.string().optional() }),
  /** Unix seconds. */
  date: z.number().int().nonnegative(),
  /** Absent on a photo, a sticker, a member joining...: nothing to read. Telegram's own limit is 4,096. */
  text: storableText(1, 4_096).optional(),
});

/** A Telegram `Update`: a new message or channel post is read; every other kind (edits included) is ignored. */
export const telegramUpdate = z.object({
  update_id: z.number().int().nonnegative(),
  message: chatMessage.optional(),
  channel_post: chatMessage.optional(),
});

/** The recon device of a Telegram chat. */
export const telegramDeviceId = (chatId: number) => `telegram:${chatId}`;

/** A forwarder app's first line naming the SMS's sender (`From: 15778000`, `발신: ...`, `발신번호: ...`). */
const SENDER_LINE = /^\s*(?:from|발신번호|발신)\s*[:：]\s*(\S.{0,63}?)\s*$/iu;

/**
 * An SMS a forwarder app posted to the chat: the sender its first line names and the text after
 * it; a text without such a line (or with nothing after it) is all body, from no known sender.
 */
export function splitForwardedText(text: string): { sender: string; body: string } {
  const newline = text.indexOf('\n');
  const sender = newline < 0 ? undefined : SENDER_LINE.exec(text.slice(0, newline))?.[1];
  const body = text.slice(newline + 1).trim();
  return sender && body ? { sender, body } : { sender: '', body: text };
}

const ignored: WebhookAnswer = { status: 200, body: { ok: true }, outcome: 'ignored' };

/**
 * `POST /webhooks/telegram`: Telegram's secret token first, then the update; a new message's text
 * is stored for recon_worker under its chat's device. Telegram delivers an update again until it
 * gets a 2xx, so what is not a text is answered 200 (ignored), and a chat not registered yet is
 * refused: its updates come again, and are stored once staff register it.
 */
export async function receiveTelegramUpdate(prisma: PrismaClient, secret: string, rawBody: Buffer, secretToken: string | undefined): Promise<WebhookAnswer> {
  if (secretToken === undefined || !sameSecret(Buffer.from(secretToken), Buffer.from(secret))) {
    return refusal('UNAUTHENTICATED', 'X-Telegram-Bot-Api-Secret-Token is not the webhook secret');
  }
  const update = readJson(rawBody, telegramUpdate);
  const message = update.message ?? update.channel_post;
  if (!message?.text) return ignored;
  // Anyone in a group may post a `From:` line naming a bank: only a channel (its admins post) or a
  // private chat with the bot (the forwarder alone) vouches for the sender it names.
  const vouched = update.channel_post !== undefined || message.chat.type === 'private';
  const stored = await storeMessage(prisma, {
    channel: 'TELEGRAM',
    deviceId: telegramDeviceId(message.chat.id),
    ...(vouched ? splitForwardedText(message.text) : { sender: '', body: message.text }),
    receivedAt: new Date(message.date * 1_000),
    updateId: update.update_id,
  });
  return { status: 200, body: { ok: true, id: stored.id }, outcome: stored.duplicate ? 'duplicate' : 'accepted' };
}
