/**
 * npm run bench:db — one short statement, as each provider callback runs a few: through Prisma's
 * raw-query path (`$queryRawUnsafe`, prepared statements on) and through `directSql` on the same
 * client's pool, in the same run. Prints the CPU this process spends per statement (the client's
 * cost, which is what directSql cuts) and the wall time per statement, at 8 concurrent callers.
 *
 * Env: BENCH_STATEMENTS (20000 per path and round), BENCH_ROUNDS (3), TEST_DATABASE_URL.
 */
import { createPrismaClient, directSql, statement } from '../src/index';

const STATEMENTS = Number(process.env.BENCH_STATEMENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLERS = 8;
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

// The shape of the game's callback lookup: a uuid, a text and a hash compared, one row back.
const TEXT = `SELECT $1::uuid AS provider_id, $2::text AS request_id, decode($3, 'hex') = decode($3, 'hex') AS same_bytes`;
const LOOKUP = statement(TEXT);
const values = ['0190f5c1-0000-7000-8000-000000000000', 'request-1', 'ab'.repeat(32)];

const prisma = createPrismaClient({ databaseUrl, poolSize: CALLERS, applicationName: 'bench-db' });
const sql = directSql(prisma);

async function measure(run: () => Promise<unknown>): Promise<{ cpuUs: number; wallUs: number }> {
  for (let i = 0; i < 1_000; i++) await run();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    for (let i = 0; i < STATEMENTS / CALLERS; i++) await run();
  }));
  const spent = process.cpuUsage(cpu);
  return { cpuUs: (spent.user + spent.system) / STATEMENTS, wallUs: ((performance.now() - started) * 1000) / STATEMENTS };
}

try {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`bench:db — ${STATEMENTS} statements per path and round, ${CALLERS} concurrent, Node ${process.version}\n`);
  out('| round | Prisma $queryRawUnsafe: CPU µs / statement | wall µs | directSql: CPU µs / statement | wall µs | CPU saved per statement |');
  out('|---:|---:|---:|---:|---:|---:|');
  for (let round = 1; round <= ROUNDS; round++) {
    const viaPrisma = await measure(() => prisma.$queryRawUnsafe(TEXT, ...values));
    const direct = await measure(() => sql.rows(LOOKUP, values));
    out(`| ${round} | ${viaPrisma.cpuUs.toFixed(1)} | ${viaPrisma.wallUs.toFixed(1)} | ${direct.cpuUs.toFixed(1)} | ${direct.wallUs.toFixed(1)} | ${(viaPrisma.cpuUs - direct.cpuUs).toFixed(1)} µs |`);
  }
} finally {
  await prisma.$disconnect();
}
