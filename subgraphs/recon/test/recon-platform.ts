/**
 * What the recon tests share: the admin subgraph (brands, the seeded device `acme-phone`) and the
 * real wallet on one seeded database, with recon_worker processes started as a test needs them;
 * deposit requests made through the wallet's GraphQL `requestDeposit`, bank texts stored as the
 * ingress stores them (RECEIVED, then the doorbell), and the books checked.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminSubgraph } from '@rgb/admin';
import type { EventPayload } from '@rgb/contracts';
import type { DepositRequest, PrismaClient, ReconChannel, ReconMessage, ReconMessageStatus } from '@rgb/db';
import type { StaffActor } from '@rgb/events';
import { type BrandRef, createLogger, ServiceClient, type StartedWorker } from '@rgb/kit';
import { freePort, isolatedRedisUrl, type SeededTestSubgraph, signedIn, startSeededTestSubgraph, type TestSubgraph, waitFor } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { expectBooks, REQUEST_DEPOSIT, startWalletOn } from '../../wallet/test/helpers';
import { RECON_DOORBELL } from '../src/domain';
import type { ReconDeps } from '../src/processing/deps';
import { loadReconWorkerConfig, startReconWorker } from '../src/worker';

/** The seeded device of brand acme. */
export const DEVICE = 'acme-phone';

export interface ReconPlatform {
  admin: SeededTestSubgraph;
  wallet: TestSubgraph;
  prisma: PrismaClient;
  redis: Redis;
  brands: { demo: BrandRef; acme: BrandRef };
  /** A recon_worker on the platform (closed with it unless closed before); `env` adds to its config (a WALLET_URL nothing answers...). */
  startWorker(env?: NodeJS.ProcessEnv): Promise<StartedWorker>;
  /** What staff's review decisions take, calling the wallet at `walletUrl` (the real one by default). */
  deps(walletUrl?: string): ReconDeps;
  close(): Promise<void>;
}

/** An address nothing answers at: a service that is down. */
export const downUrl = async () => `http://127.0.0.1:${await freePort()}`;

/** Boots admin and the wallet on a seeded database; `workerEnv` adds to every recon_worker's config. */
export async function startReconPlatform(workerEnv: NodeJS.ProcessEnv = {}): Promise<ReconPlatform> {
  const redisUrl = await isolatedRedisUrl();
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const admin = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
    closers.push(() => admin.close());
    const shared = { NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_URL: redisUrl, ADMIN_URL: admin.url };
    const wallet = await startWalletOn(admin.database.url, shared);
    closers.push(() => wallet.close());
    const redis = new Redis(redisUrl);
    closers.push(async () => void redis.disconnect());
    const log = createLogger('recon-test', 'silent');
    const startWorker = async (env: NodeJS.ProcessEnv = {}) => {
      const config = loadReconWorkerConfig({
        ...shared,
        DATABASE_URL: admin.database.url,
        DATABASE_POOL_SIZE: '4',
        WALLET_URL: wallet.url,
        RECON_RETRY_MS: '100',
        PORT: '0',
        METRICS_PORT: '0',
        ...workerEnv,
        ...env,
      });
      const worker = await startReconWorker(config);
      // Closed by a test (a worker stopped midway) or with the platform, once.
      let closing: Promise<void> | null = null;
      const closeOnce = () => (closing ??= worker.close());
      closers.push(closeOnce);
      return { ...worker, close: closeOnce };
    };
    const deps = (walletUrl = wallet.url): ReconDeps => {
      const client = new ServiceClient({ baseUrl: walletUrl, tokens: admin.deps.serviceTokens, serviceName: 'recon' });
      closers.push(() => client.close());
      return { prisma: admin.deps.prisma, wallet: client, log, retryMs: 100 };
    };
    return { admin, wallet, prisma: admin.deps.prisma, redis, brands: admin.brands, startWorker, deps, close };
  } catch (error) {
    await close();
    throw error;
  }
}

// --- Deposit requests ------------------------------------------------------------------------

/** A deposit request of a new player (or `player`) of acme, made as the player makes it. */
export async function requestDeposit(platform: ReconPlatform, amount: bigint, depositorName: string, player: string = randomUUID()): Promise<DepositRequest> {
  const answer = await platform.wallet.graphql<{ requestDeposit: { id: string } }>(
    REQUEST_DEPOSIT,
    { input: { amount: amount.toString(), depositorName } },
    signedIn(platform.brands.acme, 'player', player),
  );
  const id = answer.body.data?.requestDeposit.id;
  if (!id) throw new Error(`requestDeposit refused: ${JSON.stringify(answer.body.errors)}`);
  return platform.prisma.depositRequest.findUniqueOrThrow({ where: { id } });
}

export const depositRequest = (platform: ReconPlatform, id: string) => platform.prisma.depositRequest.findUniqueOrThrow({ where: { id } });

/** Every ledger agrees with its balance, and each player holds exactly what is expected (minor units; null: no account). */
export const expectReconBooks = (platform: ReconPlatform, players: Record<string, bigint | null>) => expectBooks(platform.admin, players);

// --- Bank texts --------------------------------------------------------------------------

const won = (amount: bigint) => amount.toLocaleString('en-US');
const two = (value: number) => String(value).padStart(2, '0');

/** `MM/DD HH:mm` of `at` on a Korean clock, as the banks print it. */
function seoulClock(at: Date): string {
  const seoul = new Date(at.getTime() + 9 * 60 * 60 * 1000);
  return `${two(seoul.getUTCMonth() + 1)}/${two(seoul.getUTCDate())} ${two(seoul.getUTCHours())}:${two(seoul.getUTCMinutes())}`;
}

export interface BankText {
  channel: ReconChannel;
  sender: string;
  body: string;
}

/** KB's deposit SMS, from KB's number unless another `sender` is given. */
export const kbDeposit = (amount: bigint, depositor: string, { balance = amount * 7n, at = new Date(), sender = '15889999' } = {}): BankText => ({
  channel: 'SMS',
  sender,
  body: `[Web발신]\nKB국민 ${seoulClock(at)}\n123456**789\n${depositor}\n입금\n${won(amount)}\n잔액${won(balance)}`,
});

/** KB's withdrawal SMS: the same layout, money going out. */
export const kbWithdrawal = (amount: bigint, name: string): BankText => ({
  channel: 'SMS',
  sender: '15889999',
  body: `[Web발신]\nKB국민 ${seoulClock(new Date())}\n123456**789\n${name}\n출금\n${won(amount)}\n잔액${won(amount * 3n)}`,
});

/** KB's card approval SMS. */
export const kbCard = (amount: bigint, name: string): BankText => ({
  channel: 'SMS',
  sender: '15889999',
  body: `[Web발신]\nKB국민체크(1234)\n${name}님\n${seoulClock(new Date())}\n${won(amount)}원 일시불\n스타벅스`,
});

/** A one-time code SMS naming an amount and a name. */
export const kbCode = (amount: bigint, name: string): BankText => ({
  channel: 'SMS',
  sender: '15889999',
  body: `[KB국민] 인증번호 [482913] ${name}님 ${won(amount)}원 입금 확인`,
});

/** KB app's deposit notification, as Pushbullet mirrors it (no time of its own: the time it arrived). */
export const kbPush = (amount: bigint, depositor: string): BankText => ({
  channel: 'PUSH',
  sender: 'com.kbstar.kbbank',
  body: `입금 ${won(amount)}원 ${depositor} → KB국민 입출금(6789)`,
});

/** Stores a text as the ingress does (RECEIVED, a dedupe key of its own) and rings the doorbell. */
export async function receive(platform: ReconPlatform, text: BankText, { receivedAt = new Date(), device = DEVICE, ring = true } = {}): Promise<ReconMessage> {
  const { brandId } = await platform.prisma.reconDevice.findUniqueOrThrow({ where: { id: device } });
  const message = await platform.prisma.reconMessage.create({
    data: { brandId, deviceId: device, ...text, receivedAt, dedupeKey: `test|${randomUUID()}` },
  });
  if (ring) await platform.redis.publish(RECON_DOORBELL, '');
  return message;
}

/** The text once its status is one of `statuses`. */
export const settled = (platform: ReconPlatform, id: string, statuses: ReconMessageStatus[], timeoutMs = 15_000) =>
  waitFor(
    `recon message ${id} ${statuses.join('|')}`,
    async () => {
      const message = await platform.prisma.reconMessage.findUniqueOrThrow({ where: { id } });
      return statuses.includes(message.status) ? message : undefined;
    },
    timeoutMs,
  );

// --- The recon outbox --------------------------------------------------------------------

/** The events about the text in the recon outbox, oldest first: [type, payload]. */
export async function eventsOf(platform: ReconPlatform, messageId: string): Promise<[string, Record<string, unknown>][]> {
  const rows = await platform.prisma.reconOutbox.findMany({ orderBy: { id: 'asc' } });
  return rows
    .map((row) => row.envelope as { event_type: string; aggregate_id: string; payload: Record<string, unknown> })
    .filter((envelope) => envelope.aggregate_id === messageId)
    .map((envelope) => [envelope.event_type, envelope.payload]);
}

/** The STAFF_ACTION_RECORDED payloads about the text, oldest first. */
export async function staffActionsOn(platform: ReconPlatform, messageId: string): Promise<EventPayload<'STAFF_ACTION_RECORDED'>[]> {
  return (await eventsOf(platform, messageId)).filter(([type]) => type === 'STAFF_ACTION_RECORDED').map(([, payload]) => payload as EventPayload<'STAFF_ACTION_RECORDED'>);
}

/** A staff member acting in one request. */
export const staffActor = (): StaffActor => ({ staffId: randomUUID(), requestId: randomUUID() });

/** The request as the wallet holds it: APPROVED for the text `messageId`, or still PENDING (null). */
export async function expectDecision(platform: ReconPlatform, request: DepositRequest, messageId: string | null): Promise<void> {
  const row = await depositRequest(platform, request.id);
  expect({ status: row.status, decidedBy: row.decidedBy }).toEqual(messageId ? { status: 'APPROVED', decidedBy: `recon:${messageId}` } : { status: 'PENDING', decidedBy: null });
}

// --- A wallet whose answers get lost ---------------------------------------------------------

/**
 * The real wallet behind a proxy that, while `losing` is above zero, passes each deposit approval
 * on and drops the wallet's answer (the connection cut): the approval is applied, its caller never
 * hears so. Everything else passes both ways.
 */
export async function lossyWallet(walletUrl: string): Promise<{ url: string; losing: number; approvals: number; close(): Promise<void> }> {
  const target = new URL(walletUrl);
  const state = { url: '', losing: 0, approvals: 0, close: async () => {} };
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const approval = incoming.url?.startsWith('/internal/wallet/deposit-requests/approve') ?? false;
    if (approval) state.approvals++;
    const dropAnswer = approval && state.losing > 0;
    if (dropAnswer) state.losing--;
    const proxied = forward({ host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
      if (dropAnswer) {
        answer.resume();
        answer.on('end', () => outgoing.socket?.destroy());
        return;
      }
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    proxied.on('error', () => outgoing.socket?.destroy());
    incoming.pipe(proxied);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return state;
}
