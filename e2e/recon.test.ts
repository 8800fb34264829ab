/**
 * Bank-text reconciliation through the router, on the seeded device `acme-phone` of docs/API.md:
 * a player of acme asks for a deposit, the phone forwards the bank's deposit SMS (signed) to
 * POST /webhooks/sms, and the request is approved and the balance shows it; the same SMS again is
 * the same text and moves nothing; a withdrawal text naming a pending amount and name approves
 * nothing; the ledger equals every balance.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_RECON_DEVICE } from '../prisma/seed';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { bootPlatform, dataOf, type TestPlatform } from './support/platform';
import { forwardSms as forwardSmsTo, seoulClock } from './support/recon';

const ACME = 'acme.localhost';

let platform: TestPlatform;
let prisma: PrismaClient;
beforeAll(async () => {
  platform = await bootPlatform({}, { mode: 'single' });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 1, applicationName: 'e2e-recon' });
}, 120_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});


/** Polls `read` until `done` holds, failing after 15 s. */
async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const until = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(value)} after 15 s`);
    await sleep(100);
  }
}

const forwardSms = (sender: string, text: string, receivedAt: Date) => forwardSmsTo(platform, sender, text, receivedAt);

const REQUESTS = `{ depositRequests(first: 100) { edges { node { id status player { id } } } } }`;
const BALANCE = `{ me { id wallet { balance currency } } }`;

describe('bank-text reconciliation through the router', () => {
  it('approves the deposit a signed SMS shows paid, once however often it comes; a withdrawal text approves nothing; ledger = balances', async () => {
    const staff = dataOf(
      await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD }, { host: ACME }),
    ).staffLogin.accessToken as string;
    const requestStatus = async (id: string) => {
      const edges = dataOf(await platform.graphql(REQUESTS, {}, { host: ACME, token: staff })).depositRequests.edges as { node: { id: string; status: string } }[];
      return edges.find((edge) => edge.node.id === id)?.node.status;
    };

    const payer = (await platform.register('recon_payer', ACME)).accessToken;
    const other = (await platform.register('recon_other', ACME)).accessToken;
    const deposit = `mutation ($amount: Money!, $name: String!) { requestDeposit(input: { amount: $amount, depositorName: $name }) { id status } }`;
    const paid = dataOf(await platform.graphql(deposit, { amount: '50000', name: '홍길동' }, { host: ACME, token: payer })).requestDeposit;
    const waiting = dataOf(await platform.graphql(deposit, { amount: '70000', name: '김철수' }, { host: ACME, token: other })).requestDeposit;
    expect([paid.status, waiting.status]).toEqual(['PENDING', 'PENDING']);

    // Shinhan's deposit SMS naming the payer's amount and depositor name.
    const receivedAt = new Date();
    const sms = `[Web발신]\n신한${seoulClock(receivedAt)}\n110-***-123456\n입금    50,000\n잔액  1,234,567\n 홍길동`;
    const first = await forwardSms('15778000', sms, receivedAt);
    expect(first.status).toBe(202);
    await eventually('the paid request', () => requestStatus(paid.id), (status) => status === 'APPROVED');
    const balance = async (token: string) => dataOf(await platform.graphql(BALANCE, {}, { host: ACME, token })).me.wallet;
    expect(await balance(payer)).toEqual({ balance: '50000', currency: 'KRW' });
    const message = await prisma.reconMessage.findUniqueOrThrow({ where: { id: first.id } });
    expect(message).toMatchObject({ status: 'APPROVED', channel: 'SMS', bank: 'SHINHAN', amount: 50_000n, depositor: '홍길동' });
    expect(await prisma.depositRequest.findUniqueOrThrow({ where: { id: paid.id } })).toMatchObject({ decidedBy: `recon:${first.id}` });

    // The phone sends it again: the same text, nothing more.
    const again = await forwardSms('15778000', sms, receivedAt);
    expect(again).toEqual({ status: 202, id: first.id });

    // KB's withdrawal SMS naming the other request's amount and name.
    const withdrawal = `[Web발신]\nKB국민 ${seoulClock(new Date())}\n123456**789\n김철수\n출금\n70,000\n잔액1,164,567`;
    const out = await forwardSms('15889999', withdrawal, new Date());
    expect(out.status).toBe(202);
    expect(out.id).not.toBe(first.id);
    const ignored = await eventually(
      'the withdrawal text',
      () => prisma.reconMessage.findUniqueOrThrow({ where: { id: out.id } }),
      (row) => row.status !== 'RECEIVED',
    );
    expect(ignored).toMatchObject({ status: 'IGNORED', ignoredReason: 'WITHDRAWAL' });
    expect(await requestStatus(waiting.id)).toBe('PENDING');

    expect(await prisma.reconMessage.count({ where: { deviceId: DEMO_RECON_DEVICE.id } })).toBe(2);
    expect(await prisma.reconMatch.count()).toBe(1);
    expect(await balance(payer)).toEqual({ balance: '50000', currency: 'KRW' });
    expect(await balance(other)).toEqual({ balance: '0', currency: 'KRW' });
    expect(await findLedgerMismatches(prisma)).toEqual([]);
  });
});
