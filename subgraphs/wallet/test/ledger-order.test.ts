import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SeededTestSubgraph } from '@rgb/kit/testing';
import { inTransaction, move, moveOnce } from '../src/ledger';
import { expectBooks, startWallet } from './helpers';

let server: SeededTestSubgraph;
beforeAll(async () => {
  server = await startWallet();
});
afterAll(() => server?.close());

it('dates each entry when its balance changed, so newest first follows the balance even when a transaction began earlier', async () => {
  const prisma = server.deps.prisma;
  const brand = server.brands.demo;
  const player = randomUUID();
  const movement = (key: string, amount: bigint) => ({ brand, playerId: player, kind: 'ADJUSTMENT' as const, amount, reference: key, commandKey: `order:${key}`, causedBy: 'test' });
  await moveOnce(prisma, movement(`${player}-open`, 1_000n));

  // A transaction that began first and reaches the account last (a deposit approval that updated its request first, say).
  let proceed!: () => void;
  const gate = new Promise<void>((resolve) => (proceed = resolve));
  const early = inTransaction(prisma, async (tx) => {
    await tx.$queryRawUnsafe('SELECT 1');
    await gate;
    return move(tx, movement(`${player}-early`, 100n));
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await moveOnce(prisma, movement(`${player}-late`, 10n));
  proceed();
  await early;

  const newestFirst = await prisma.ledgerEntry.findMany({ where: { playerId: player }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { reference: true, balanceAfter: true } });
  expect(newestFirst).toEqual([
    { reference: `${player}-early`, balanceAfter: 1_110n },
    { reference: `${player}-late`, balanceAfter: 1_010n },
    { reference: `${player}-open`, balanceAfter: 1_000n },
  ]);
  await expectBooks(server, { [player]: 1_110n });
});
