/**
 * Writes PLAYER_REGISTERED outbox events at a steady rate, each in its own transaction, as a
 * producing API would; run as a separate process by events.bench.ts so that the producers'
 * CPU does not sit on the publisher's and consumer's event loop.
 * Usage: steady-writer.ts <databaseUrl> <brandId> <eventsPerSecond> <seconds>
 */
import { randomUUID } from 'node:crypto';
import { createPrismaClient } from '@rgb/db';
import { appendToOutbox, outboxTransaction } from '../src/outbox';

const [databaseUrl, brandId, rateArg, secondsArg] = process.argv.slice(2);
const rate = Number(rateArg);
const total = rate * Number(secondsArg);
const writers = 8;
const interval = (1000 * writers) / rate;
const prisma = createPrismaClient({ databaseUrl: databaseUrl!, poolSize: writers, applicationName: 'bench-writer' });

await Promise.all(
  Array.from({ length: writers }, async (_, w) => {
    const begin = performance.now() + (w * interval) / writers;
    for (let i = 0; i < total / writers; i++) {
      const wait = begin + i * interval - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const playerId = randomUUID();
      await outboxTransaction(prisma, (tx) =>
        appendToOutbox(tx, 'player.outbox', {
          type: 'PLAYER_REGISTERED',
          owner: { brandId: brandId! },
          brandId: brandId!,
          aggregateType: 'player',
          aggregateId: playerId,
          payload: { player_id: playerId, username: 'bench', nickname: null, agent_id: null, registered_at: new Date().toISOString() },
        }),
      );
    }
  }),
);
await prisma.$disconnect();
