/**
 * Events typed per stream: an outbox takes only its stream's event types (the `@ts-expect-error`
 * lines fail typecheck once that stops holding, and the run-time refusal stands behind callers
 * typecheck cannot see), and a consumer's handlers are keyed by the stream's types and get their
 * type's payload.
 */
import { randomUUID } from 'node:crypto';
import { STREAMS } from '@rgb/contracts';
import { Metrics } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToOutbox, buildEnvelope, OutboxPublisher, OutboxStreamMismatchError, outboxTransaction, StreamConsumer } from '../src/index';
import { BRAND, connectRedis, createConsumer, log, setupDatabase, type TestDb, uniqueNames, writeEvent } from './helpers';

let t: TestDb;
let redis: Redis;
beforeAll(async () => {
  t = await setupDatabase();
  redis = await connectRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await t?.close();
});

const registration = () => {
  const playerId = randomUUID();
  return {
    type: 'PLAYER_REGISTERED' as const,
    owner: { brandId: BRAND },
    brandId: BRAND,
    aggregateType: 'player',
    aggregateId: playerId,
    payload: { player_id: playerId, username: 'typed_player', nickname: null, agent_id: null, registered_at: new Date().toISOString() },
  };
};

describe('an outbox', () => {
  it("refuses another stream's event type, at compile time and at run time, and the transaction writes nothing", async () => {
    const walletRows = () => t.prisma.walletOutbox.count();
    const before = await walletRows();
    const write = outboxTransaction(t.prisma, (tx) =>
      // @ts-expect-error PLAYER_REGISTERED is the player stream's: wallet.outbox does not take it
      appendToOutbox(tx, 'wallet.outbox', registration()),
    );
    await expect(write).rejects.toBeInstanceOf(OutboxStreamMismatchError);
    await expect(write).rejects.toThrow('wallet.outbox takes the event types of stream wallet, not PLAYER_REGISTERED');
    // @ts-expect-error an envelope built for a statement of its own is checked alike
    expect(() => buildEnvelope('wallet.outbox', registration())).toThrow(OutboxStreamMismatchError);
    expect(await walletRows()).toBe(before);
  });

  it("takes its own stream's event types", async () => {
    const envelope = await outboxTransaction(t.prisma, (tx) => appendToOutbox(tx, 'player.outbox', registration()));
    expect(envelope.event_type).toBe('PLAYER_REGISTERED');
    expect(await t.prisma.playerOutbox.count({ where: { eventId: envelope.event_id } })).toBe(1);
  });
});

describe("a consumer's handlers", () => {
  const options = () => ({ group: 'test.typed', inbox: 'admin.inbox' as const, prisma: t.prisma, redis, blockingRedis: redis, metrics: new Metrics('events-test'), log });

  it("are keyed by the stream's event types only, at compile time and at run time", () => {
    expect(() => new StreamConsumer({ ...options(), stream: STREAMS.player, handlers: { PLAYER_REGISTERED: async () => {} } })).not.toThrow();
    expect(
      () =>
        new StreamConsumer({
          ...options(),
          stream: STREAMS.player,
          // @ts-expect-error the player stream carries no DEPOSIT_APPROVED
          handlers: { DEPOSIT_APPROVED: async () => {} },
        }),
    ).toThrow(/the stream carries no DEPOSIT_APPROVED/);
  });

  it("get their event type's envelope, its payload parsed and typed", async () => {
    const { stream, group } = uniqueNames('typed');
    const eventId = await writeEvent(t.prisma, 'typed_reader');
    await new OutboxPublisher({ prisma: t.prisma, redis, metrics: new Metrics('events-test'), table: 'player.outbox', stream }).tick();
    const seen: { username: string; nickname: string | null; registeredAt: string }[] = [];
    const { consumer } = createConsumer({
      stream,
      group,
      prisma: t.prisma,
      redis,
      blockingRedis: redis,
      handlers: {
        PLAYER_REGISTERED: async (_tx, event) => {
          if (event.event_id !== eventId) return;
          seen.push({ username: event.payload.username, nickname: event.payload.nickname, registeredAt: event.payload.registered_at });
          // @ts-expect-error a PLAYER_REGISTERED payload has no amount
          void event.payload.amount_minor;
        },
      },
    });
    await consumer.tick();
    expect(seen).toEqual([{ username: 'typed_reader', nickname: null, registeredAt: expect.any(String) }]);
  });
});
