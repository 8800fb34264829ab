import { badUserInput, conflict, notFound } from '@rgb/contracts';
import { type PrismaClient, type ReconDevice, type ReconPattern, uniqueViolation } from '@rgb/db';
import { type OutboxTransaction, outboxTransaction, recordStaffAction, type StaffActor, type StaffAction } from '@rgb/events';
import { isUuid } from '@rgb/kit';
import { customPattern } from './parsers';

/**
 * What staff set up for a brand's reconciliation: its devices (phones forwarding their SMS, and
 * Telegram chats) and its own bank-text patterns. Each change is audited (STAFF_ACTION_RECORDED in
 * recon.outbox, in its transaction); one that changes nothing is answered, not audited.
 */

/** A Telegram chat as the webhook names it: `telegram:` and the chat id (negative for groups and channels). */
const TELEGRAM_CHAT = /^telegram:-?[1-9]\d{0,19}$/;
/** A phone's SMS webhook `device_id` as the webhook accepts one (1 to 128 characters), without control characters or spaces around it. */
const SMS_DEVICE = /^[^\s\p{Cc}\p{Cs}](?:[^\p{Cc}\p{Cs}]{0,126}[^\s\p{Cc}\p{Cs}])?$/u;
const LABEL_MAX = 100;

/** A bank's code, as the built-in table's (`KB`, `SHINHAN`) and the parse of a text name it. */
const BANK = /^[A-Z][A-Z0-9_]{1,31}$/;
/** A pattern runs on every text of the brand: a short one is enough for a layout. */
const PATTERN_MAX = 2_000;
const SENDERS_MAX = 20;
const SENDER_MAX = 64;

export interface DeviceInput {
  id: string;
  label: string;
  active?: boolean | null;
}

export interface PatternInput {
  bank: string;
  pattern: string;
  senders: readonly string[];
}

function checkDeviceId(id: string): string {
  if (/^telegram:/i.test(id)) {
    if (!TELEGRAM_CHAT.test(id)) throw badUserInput('a Telegram chat is telegram:<chat id>, its id an integer (negative for a group)');
  } else if (!SMS_DEVICE.test(id)) {
    throw badUserInput('a device id is the SMS webhook device_id (1 to 128 characters, no control characters, no spaces around it) or telegram:<chat id>');
  }
  return id;
}

function checkLabel(label: string): string {
  const trimmed = label.trim();
  if (trimmed.length < 1 || trimmed.length > LABEL_MAX) throw badUserInput(`label must be 1 to ${LABEL_MAX} characters`);
  return trimmed;
}

/** The input as it is stored: the bank's code upper case, the senders trimmed and each once; refused when the pattern cannot read a deposit. */
function checkPattern(input: PatternInput): PatternInput {
  const bank = input.bank.trim().toUpperCase();
  if (!BANK.test(bank)) throw badUserInput('bank must be a code of 2 to 32 letters, digits or _, starting with a letter');
  if (input.pattern.length > PATTERN_MAX) throw badUserInput(`pattern must be at most ${PATTERN_MAX} characters`);
  const senders = [...new Set(input.senders.map((sender) => sender.trim()))];
  if (senders.length < 1 || senders.length > SENDERS_MAX) throw badUserInput(`senders must name 1 to ${SENDERS_MAX} senders`);
  if (senders.some((sender) => sender.length < 1 || sender.length > SENDER_MAX)) throw badUserInput(`each sender must be 1 to ${SENDER_MAX} characters`);
  try {
    customPattern(bank, input.pattern, senders);
  } catch (error) {
    throw badUserInput(`pattern cannot be used: ${(error as Error).message}`);
  }
  return { bank, pattern: input.pattern, senders };
}

const auditedDevice = (device: ReconDevice) => ({ label: device.label, active: device.active });
const auditedPattern = (pattern: ReconPattern) => ({ bank: pattern.bank, pattern: pattern.pattern, senders: pattern.senders });

/** The change and its audit (when it changed something) in one transaction. */
function audited<T>(prisma: PrismaClient, brandId: string, actor: StaffActor, change: (tx: OutboxTransaction) => Promise<{ result: T; action: StaffAction | null }>): Promise<T> {
  return outboxTransaction(prisma, async (tx) => {
    const { result, action } = await change(tx);
    if (action) await recordStaffAction(tx, 'recon.outbox', brandId, actor, action);
    return result;
  });
}

/** A row another request created meanwhile (both found none, both inserted) is a CONFLICT. */
async function conflictWhenTaken<T>(work: Promise<T>, message: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (uniqueViolation(error)) throw conflict(message);
    throw error;
  }
}

/**
 * Registers a device (or Telegram chat) to the brand, or changes its label or whether it is
 * active. Device ids are global: one registered to another brand is a CONFLICT.
 */
export async function saveDevice(prisma: PrismaClient, brandId: string, actor: StaffActor, input: DeviceInput): Promise<ReconDevice> {
  const id = checkDeviceId(input.id);
  const label = checkLabel(input.label);
  const saving = audited(prisma, brandId, actor, async (tx) => {
    const [held] = await tx.$queryRaw<{ brand_id: string }[]>`SELECT brand_id::text FROM recon.device WHERE id = ${id} FOR UPDATE`;
    if (held && held.brand_id !== brandId) throw conflict('this device is registered to another brand');
    const before = held ? await tx.reconDevice.findUniqueOrThrow({ where: { id } }) : null;
    const device = before
      ? await tx.reconDevice.update({ where: { id }, data: { label, active: input.active ?? before.active } })
      : await tx.reconDevice.create({ data: { id, brandId, label, active: input.active ?? true } });
    const after = auditedDevice(device);
    if (before && JSON.stringify(auditedDevice(before)) === JSON.stringify(after)) return { result: device, action: null };
    const action = before ? 'recon_device.update' : 'recon_device.create';
    return { result: device, action: { action, target_type: 'recon_device', target_id: id, before: before && auditedDevice(before), after } };
  });
  return conflictWhenTaken(saving, 'this device was registered meanwhile');
}

/** The brand's pattern for a bank: a new one, or replacing its earlier one for that bank. */
export async function savePattern(prisma: PrismaClient, brandId: string, actor: StaffActor, input: PatternInput): Promise<ReconPattern> {
  const { bank, pattern, senders } = checkPattern(input);
  const saving = audited(prisma, brandId, actor, async (tx) => {
    const [held] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM recon.pattern WHERE brand_id = ${brandId}::uuid AND bank = ${bank} FOR UPDATE`;
    const before = held ? await tx.reconPattern.findUniqueOrThrow({ where: { id: held.id } }) : null;
    if (before && before.pattern === pattern && JSON.stringify(before.senders) === JSON.stringify(senders)) return { result: before, action: null };
    const data = { pattern, senders: [...senders], createdBy: actor.staffId };
    const saved = before
      ? await tx.reconPattern.update({ where: { id: before.id }, data: { ...data, createdAt: new Date() } })
      : await tx.reconPattern.create({ data: { ...data, brandId, bank } });
    return {
      result: saved,
      action: { action: 'recon_pattern.save', target_type: 'recon_pattern', target_id: saved.id, before: before && auditedPattern(before), after: auditedPattern(saved) },
    };
  });
  return conflictWhenTaken(saving, 'a pattern for this bank was saved meanwhile');
}

/** Removes one of the brand's patterns; another brand's, or none, is NOT_FOUND. */
export async function deletePattern(prisma: PrismaClient, brandId: string, actor: StaffActor, id: string): Promise<true> {
  if (!isUuid(id)) throw notFound('no such pattern');
  return audited(prisma, brandId, actor, async (tx) => {
    const [held] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM recon.pattern WHERE id = ${id}::uuid AND brand_id = ${brandId}::uuid FOR UPDATE`;
    if (!held) throw notFound('no such pattern');
    const removed = await tx.reconPattern.delete({ where: { id } });
    return { result: true as const, action: { action: 'recon_pattern.delete', target_type: 'recon_pattern', target_id: id, before: auditedPattern(removed), after: null } };
  });
}
