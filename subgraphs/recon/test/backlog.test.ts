/**
 * Two recon_workers started on one backlog of texts (each deposit reported by SMS, by the app's
 * push, and by the same SMS again) claim them side by side: each deposit is approved once, by
 * one of its reports, the others its duplicates.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectDecision, expectReconBooks, kbDeposit, kbPush, type ReconPlatform, receive, requestDeposit, settled, startReconPlatform } from './support';

let platform: ReconPlatform;
beforeAll(async () => {
  platform = await startReconPlatform();
}, 60_000);
afterAll(() => platform?.close());

const DEPOSITORS = ['홍길동', '김철수', '이영희', '박민수', '최지우', '정우성', '강감찬', '윤서연'];
const masked = (name: string) => `${name[0]}*${name.slice(2)}`;

it('approves each deposit of a backlog once when two workers take it on together', async () => {
  const now = Date.now();
  const deposits = await Promise.all(
    DEPOSITORS.map(async (name, index) => {
      const amount = 20_000n + BigInt(index) * 1_000n;
      const request = await requestDeposit(platform, amount, name);
      const sms = kbDeposit(amount, name);
      const reports = await Promise.all([
        receive(platform, sms, { receivedAt: new Date(now), ring: false }),
        receive(platform, kbPush(amount, masked(name)), { receivedAt: new Date(now + 20_000), ring: false }),
        receive(platform, sms, { receivedAt: new Date(now + 30_000), ring: false }),
      ]);
      return { request, reports };
    }),
  );

  await Promise.all([platform.startWorker(), platform.startWorker()]);

  for (const { request, reports } of deposits) {
    const done = await Promise.all(reports.map((report) => settled(platform, report.id, ['APPROVED', 'DUPLICATE', 'REVIEW'], 30_000)));
    const approved = done.filter((report) => report.status === 'APPROVED');
    expect(approved, `${request.depositorName}: ${done.map((report) => report.status)}`).toHaveLength(1);
    expect(done.filter((report) => report.status === 'DUPLICATE').map((report) => report.duplicateOfId)).toEqual([approved[0]!.id, approved[0]!.id]);
    await expectDecision(platform, request, approved[0]!.id);
    expect(await platform.prisma.reconMatch.count({ where: { requestId: request.id } })).toBe(1);
  }
  await expectReconBooks(platform, Object.fromEntries(deposits.map(({ request }) => [request.playerId, request.amount])));
});
