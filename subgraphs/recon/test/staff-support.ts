/**
 * What the staff API tests share: the recon subgraph on a seeded database of its own, and its rows
 * (devices, texts in every state, matches) inserted as ingress and the worker leave them.
 */
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient, ReconDevice, ReconMatch, ReconMessage } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import { isolatedRedisUrl, type SeededTestSubgraph, startSeededTestSubgraph } from '@rgb/kit/testing';
import { loadReconConfig, reconSubgraph } from '../src/index';

/** The recon subgraph on a seeded database of its own; `env` adds to its configuration (WALLET_URL...). */
export async function startRecon(env: NodeJS.ProcessEnv = {}): Promise<SeededTestSubgraph> {
  const settings = { NODE_ENV: 'test', LOG_LEVEL: 'silent', WEBHOOK_PORT: '0', REDIS_URL: await isolatedRedisUrl(), ...env };
  return startSeededTestSubgraph(reconSubgraph(loadReconConfig(settings)), { env: settings });
}

/** Every recon row, so that each test counts and lists exactly its own. */
export async function clearRecon(prisma: PrismaClient): Promise<void> {
  await prisma.$executeRaw`TRUNCATE recon.match, recon.message, recon.device, recon.pattern, recon.outbox`;
}

export function newDevice(prisma: PrismaClient, brand: BrandRef, id = `phone-${randomUUID().slice(0, 8)}`): Promise<ReconDevice> {
  return prisma.reconDevice.create({ data: { id, brandId: brand.id, label: `Phone ${id}` } });
}

/** A text of `device` (an unparsed SMS received now unless `fields` say otherwise). */
export function newMessage(prisma: PrismaClient, device: ReconDevice, fields: Partial<Prisma.ReconMessageUncheckedCreateInput> = {}): Promise<ReconMessage> {
  return prisma.reconMessage.create({
    data: {
      brandId: device.brandId,
      deviceId: device.id,
      channel: 'SMS',
      sender: '15889999',
      body: `[KB국민] 입금 ${randomUUID()}`,
      receivedAt: new Date(),
      dedupeKey: randomUUID(),
      ...fields,
    },
  });
}

/** The parse columns of a deposit of `amount` won by `depositor`, as the worker writes them. */
export const depositParse = (amount: bigint, depositor: string, at = new Date('2026-12-06T05:23:00Z')) =>
  ({
    parseKind: 'DEPOSIT',
    bank: 'KB',
    amount,
    depositor,
    depositorMasked: depositor.includes('*'),
    fromBankSender: true,
    occurredAt: at,
    accountSuffix: '1234',
    balance: amount + 10_000n,
    parsedAt: new Date(at.getTime() + 60_000),
  }) satisfies Partial<Prisma.ReconMessageUncheckedCreateInput>;

export function newMatch(prisma: PrismaClient, message: ReconMessage, fields: Partial<Prisma.ReconMatchUncheckedCreateInput> = {}): Promise<ReconMatch> {
  return prisma.reconMatch.create({
    data: { messageId: message.id, requestId: randomUUID(), brandId: message.brandId, amount: message.amount ?? 10_000n, matchedBy: 'recon', ...fields },
  });
}
