import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendToOutbox, OutboxBrandMismatchError, outboxTransaction } from '../src/index';
import { BRAND, OTHER_BRAND, setupDatabase, type TestDb } from './helpers';

let t: TestDb;
beforeAll(async () => {
  t = await setupDatabase();
});
afterAll(() => t?.close());

/** Registers a player and its PLAYER_REGISTERED in one transaction, as registerPlayer does. */
function registerWithEvent(username: string, eventBrand: string, payload: Record<string, unknown> = {}) {
  return outboxTransaction(t.prisma, async (tx) => {
    const player = await tx.player.create({ data: { brandId: BRAND, username, nickname: username, passwordHash: 'x' } });
    const envelope = await appendToOutbox(tx, 'player.outbox', {
      type: 'PLAYER_REGISTERED',
      owner: player,
      brandId: eventBrand,
      aggregateType: 'player',
      aggregateId: player.id,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      payload: {
        player_id: player.id,
        username: player.username,
        nickname: player.nickname,
        agent_id: null,
        registered_at: player.createdAt.toISOString(),
        ...payload,
      } as never,
    });
    return { player, envelope };
  });
}

const players = (username: string) => t.prisma.player.count({ where: { username } });
const outboxRows = () => t.prisma.playerOutbox.count();

describe('appendToOutbox', () => {
  it('refuses an envelope whose brand differs from the owning row, and the whole transaction writes nothing', async () => {
    const before = await outboxRows();
    await expect(registerWithEvent('brand_mismatch', OTHER_BRAND)).rejects.toBeInstanceOf(OutboxBrandMismatchError);
    expect(await players('brand_mismatch')).toBe(0);
    expect(await outboxRows()).toBe(before);
  });

  it('refuses a payload that does not match its type, and the whole transaction writes nothing', async () => {
    const before = await outboxRows();
    await expect(registerWithEvent('bad_payload', BRAND, { player_id: 'not-a-uuid' })).rejects.toThrow(/player_id/);
    await expect(registerWithEvent('bad_payload', BRAND, { username: undefined })).rejects.toThrow(/username/);
    expect(await players('bad_payload')).toBe(0);
    expect(await outboxRows()).toBe(before);
  });

  it('refuses an envelope that consumers would reject (empty aggregate id)', async () => {
    const before = await outboxRows();
    const write = outboxTransaction(t.prisma, (tx) =>
      appendToOutbox(tx, 'player.outbox', {
        type: 'PLAYER_REGISTERED',
        owner: { brandId: BRAND },
        brandId: BRAND,
        aggregateType: 'player',
        aggregateId: '',
        payload: { player_id: randomUUID(), username: 'x', nickname: null, agent_id: null, registered_at: new Date().toISOString() },
      }),
    );
    await expect(write).rejects.toThrow(/aggregate_id/);
    expect(await outboxRows()).toBe(before);
  });

  it('writes the row with the player, unpublished, schema_version 2, the brand and the validated payload', async () => {
    const { player, envelope } = await registerWithEvent('good_player', BRAND);
    const rows = await t.prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT event_id::text, event_type, brand_id::text, published_at, envelope FROM player.outbox WHERE event_id = $1::uuid`,
      envelope.event_id,
    );
    expect(rows).toEqual([
      {
        event_id: envelope.event_id,
        event_type: 'PLAYER_REGISTERED',
        brand_id: BRAND,
        published_at: null,
        envelope: {
          event_id: envelope.event_id,
          event_type: 'PLAYER_REGISTERED',
          schema_version: 2,
          brand_id: BRAND,
          aggregate_type: 'player',
          aggregate_id: player.id,
          occurred_at: envelope.occurred_at,
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
          payload: {
            player_id: player.id,
            username: 'good_player',
            nickname: 'good_player',
            agent_id: null,
            registered_at: player.createdAt.toISOString(),
          },
        },
      },
    ]);
    expect(await players('good_player')).toBe(1);
  });
});

describe('outbox tables', () => {
  it('each holds its unpublished rows in a partial index on id, which the publisher reads them by', async () => {
    const outboxes = await t.prisma.$queryRawUnsafe<{ table: string; partial: string | null }[]>(
      `SELECT t.table_schema || '.' || t.table_name AS table,
              (SELECT indexdef FROM pg_indexes i
               WHERE i.schemaname = t.table_schema AND i.tablename = t.table_name AND i.indexdef LIKE '%(id) WHERE (published_at IS NULL)') AS partial
       FROM information_schema.tables t WHERE t.table_name = 'outbox' ORDER BY 1`,
    );
    expect(outboxes.map((outbox) => outbox.table)).toEqual(expect.arrayContaining(['player.outbox', 'wallet.outbox']));
    expect(outboxes.filter((outbox) => outbox.partial === null).map((outbox) => outbox.table)).toEqual([]);
  });
});
