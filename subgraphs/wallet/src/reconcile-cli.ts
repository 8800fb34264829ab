import { createPrismaClient } from '@rgb/db';
import { LOCAL_DATABASE_URL } from '@rgb/kit';
import { findLedgerMismatches, LedgerMismatchError } from './reconciliation';

/** npm run wallet:reconcile — the hourly check, now: exits 1 and lists the accounts on any mismatch. */
const prisma = createPrismaClient({ databaseUrl: process.env.DATABASE_URL || LOCAL_DATABASE_URL, poolSize: 1, applicationName: 'wallet-reconcile' });
try {
  const mismatches = await findLedgerMismatches(prisma);
  if (mismatches.length > 0) {
    process.stderr.write(`${new LedgerMismatchError(mismatches).message}\n${JSON.stringify(mismatches, null, 2)}\n`);
    process.exitCode = 1;
  } else {
    const { _count } = await prisma.walletAccount.aggregate({ _count: true });
    process.stdout.write(`ledger reconciliation: all ${_count} accounts agree with their ledger\n`);
  }
} finally {
  await prisma.$disconnect();
}
