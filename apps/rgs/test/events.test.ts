// The event log's two ways out (docs/api/rgs-operators.md): webhooks, checked by a receiver written
// from that document alone, and GET /stream, read by a client that parses server-sent events as a browser
// does. Two RGS instances share one database throughout (a third comes and goes to show a
// restart); events come from session launches, which move no money.
import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { freePort, waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journaled } from '../src/journal';
import { pruneEvents } from '../src/retention';
import { addOperator, type Answer, operatorClient, operatorInput, type RgsInstance, type StandaloneRgs, startRgs, startStandaloneRgs } from './support/rgs';
import { openStream } from './support/sse';
import { signatureHolds, WebhookReceiver } from './support/webhook-receiver';

/** Quick retries (100 ms doubling to 300 ms, 12 attempts: about 1.5 to 3 s before a failure), quick polls, a small stream buffer. */
const ENV = {
  RGS_WEBHOOK_CONNECT_TIMEOUT_MS: '500',
  RGS_WEBHOOK_RESPONSE_TIMEOUT_MS: '1000',
  RGS_WEBHOOK_LEASE_MS: '4000',
  RGS_WEBHOOK_RETRY_MS: '100',
  RGS_WEBHOOK_MAX_RETRY_MS: '300',
  RGS_WEBHOOK_MAX_ATTEMPTS: '12',
  RGS_WEBHOOK_POLL_MS: '50',
  RGS_STREAM_POLL_MS: '50',
  RGS_STREAM_HEARTBEAT_MS: '300',
  RGS_STREAM_BUFFER_BYTES: String(64 * 1024),
  RGS_STREAM_SLOW_CLIENT_MS: '1000',
  // The hourly retention job prunes nothing of this file's events: the test calls pruneEvents itself.
  RGS_EVENT_RETENTION_DAYS: '3650',
};
const DAY_MS = 24 * 60 * 60 * 1000;

let server: StandaloneRgs;
let second: RgsInstance;

beforeAll(async () => {
  server = await startStandaloneRgs(ENV);
  second = await startRgs(server.database.url, server.redisUrl, ENV);
});
afterAll(async () => {
  await second?.close();
  await server?.close();
});

let operators = 0;

/** A new operator (its own sequence), with a client of each instance. */
async function newOperator(webhook: { webhookUrl: string; webhookSecret: string } | Record<string, never> = {}) {
  const code = `events_${++operators}`;
  const key = `events-test-key-${randomBytes(12).toString('hex')}`;
  const id = await addOperator(server.prisma, operatorInput(code, key, 'http://127.0.0.1:9', webhook));
  return { id, key, a: operatorClient(server.url, key), b: operatorClient(second.url, key) };
}
type TestOperator = Awaited<ReturnType<typeof newOperator>>;

/** A session launch: one `session.launched` event. */
async function launch(client: TestOperator['a'], playerId: string): Promise<Answer> {
  const answer = await client.post('/sessions/launch', { player_id: playerId, currency: 'USD', game_code: 'rgs-dice' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer;
}

const eventsOf = (operatorId: string) => server.prisma.rgsEvent.findMany({ where: { operatorId }, orderBy: { seq: 'asc' } });
const deliveryOf = (eventId: string) => server.prisma.rgsWebhookDelivery.findUnique({ where: { eventId } });

/** Waits until the operator's lane has settled every event (delivered or failed) and no redelivery waits: no instance sends anything more. */
async function caughtUp(operatorId: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    'the webhook lane caught up',
    async () => {
      const [cursor, counter, pending] = await Promise.all([
        server.prisma.rgsWebhookCursor.findUnique({ where: { operatorId } }),
        server.prisma.rgsEventCounter.findUnique({ where: { operatorId } }),
        server.prisma.rgsWebhookDelivery.count({ where: { operatorId, status: 'PENDING' } }),
      ]);
      return cursor !== null && counter !== null && cursor.nextSeq > counter.lastSeq && pending === 0 && cursor.leaseUntil === null;
    },
    timeoutMs,
  );
}

/** A metric's value on one instance (summed over the series matching `labels`). */
async function metric(instance: RgsInstance, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${instance.metricsUrl}/metrics`)).text();
  const series = [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))].filter((match) => (match[1] ?? '').includes(labels));
  return series.reduce((sum, match) => sum + Number(match[2]), 0);
}

const bothInstances = async (name: string, labels = '') => (await metric(server, name, labels)) + (await metric(second, name, labels));

describe('webhooks', () => {
  it('signs each event as operators are told and delivers it once, in sequence order', async () => {
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    const receiver = await new WebhookReceiver(secret).start();
    try {
      const operator = await newOperator({ webhookUrl: receiver.url, webhookSecret: secret });
      for (let index = 0; index < 4; index++) await launch(index % 2 ? operator.a : operator.b, `signed_${index}`);
      await operator.a.post('/sessions/revoke', { session_token: (await launch(operator.a, 'signed_revoked')).body.session_token });
      await caughtUp(operator.id);
      const events = await eventsOf(operator.id);
      expect(events).toHaveLength(6);
      expect(receiver.received.map((item) => ({ signed: item.signed, keys: item.keys, id: item.id, type: item.type, occurred_at: item.occurred_at, data: item.data }))).toEqual(
        events.map((event) => ({
          signed: true,
          keys: ['id', 'type', 'occurred_at', 'data'],
          id: event.id,
          type: event.type,
          occurred_at: event.occurredAt.toISOString(),
          data: event.data,
        })),
      );
      expect(receiver.delivered).toHaveLength(6);
      // The receiver's check can fail: another secret, or one byte of the body changed.
      const sample = receiver.received[0]!;
      expect(signatureHolds(secret, sample.timestamp, sample.body, sample.signature)).toBe(true);
      expect(signatureHolds('another secret', sample.timestamp, sample.body, sample.signature)).toBe(false);
      expect(signatureHolds(secret, sample.timestamp, sample.body.replace('session.launched', 'session.launcheD'), sample.signature)).toBe(false);

      const listed = await operator.a.get('/webhooks?status=delivered&limit=5');
      expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual(events.slice(1).map((event) => event.id).reverse());
      expect(listed.body.items[0]).toMatchObject({ seq: '6', type: 'session.revoked', status: 'delivered', attempts: 1, last_response_status: 200, last_error: null });
      const rest = await operator.a.get(`/webhooks?limit=5&cursor=${listed.body.next_cursor}`);
      expect(rest.body).toEqual({ items: [expect.objectContaining({ id: events[0]!.id, seq: '1' })], next_cursor: null });
      expect(await bothInstances('rgs_webhook_deliveries_total', 'outcome="delivered"')).toBeGreaterThanOrEqual(6);
    } finally {
      await receiver.stop();
    }
  });

  it('sends nothing for an operator without a webhook, and lists nothing', async () => {
    const operator = await newOperator();
    await launch(operator.a, 'unhooked');
    expect((await operator.a.get('/webhooks')).body).toEqual({ items: [], next_cursor: null });
    expect(await server.prisma.rgsWebhookCursor.findUnique({ where: { operatorId: operator.id } })).toBeNull();
    expect((await operator.a.get('/webhooks?status=lost')).status).toBe(400);
  });

  it('gives a receiver that was down every event once it is back, once each, in sequence order', async () => {
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    const receiver = new WebhookReceiver(secret, await freePort());
    const operator = await newOperator({ webhookUrl: receiver.url, webhookSecret: secret });
    try {
      for (let index = 0; index < 6; index++) await launch(index % 2 ? operator.a : operator.b, `down_${index}`);
      const [first] = await eventsOf(operator.id);
      // Read from the shared tables: either instance tells the whole backlog.
      expect(await metric(second, 'rgs_webhooks_pending')).toBeGreaterThanOrEqual(6);
      expect(await metric(server, 'rgs_webhook_lag_seconds')).toBeGreaterThan(0);
      // Down long enough for the first event to be tried three times, each refused.
      await waitFor('three attempts at the first event', async () => ((await deliveryOf(first!.id))?.attempts ?? 0) >= 3);
      await receiver.start();
      await caughtUp(operator.id);
      const events = await eventsOf(operator.id);
      expect(receiver.received.map((item) => item.id)).toEqual(events.map((event) => event.id));
      expect(receiver.delivered).toHaveLength(6);
      const head = await deliveryOf(first!.id);
      expect(head).toMatchObject({ status: 'DELIVERED', lastResponseStatus: 200, lastError: expect.stringMatching(/^no answer: /) });
      expect(head!.attempts).toBeGreaterThanOrEqual(4);
    } finally {
      await receiver.stop();
    }
  });

  it('retries a receiver answering 500 with growing waits, then fails the event (audited) and sends the next; the operator can retry it, no other operator can', async () => {
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    const receiver = await new WebhookReceiver(secret).start();
    receiver.answer = () => 500;
    try {
      const operator = await newOperator({ webhookUrl: receiver.url, webhookSecret: secret });
      const failedBefore = await bothInstances('rgs_webhook_deliveries_total', 'outcome="failed"');
      await launch(operator.a, 'refused_0');
      await launch(operator.b, 'refused_1');
      const [first, next] = await eventsOf(operator.id);
      await waitFor('the first event failed', async () => (await deliveryOf(first!.id))?.status === 'FAILED', 15_000);
      receiver.answer = () => 200;
      await caughtUp(operator.id);

      const tries = receiver.received.filter((item) => item.id === first!.id);
      expect(tries.map((item) => item.answered)).toEqual(Array(12).fill(500));
      // Each wait is at least half of 100 ms x 2^(n-1), capped at 300 ms (the jitter takes half to all of it).
      tries.slice(1).forEach((item, index) => {
        const nominal = Math.min(100 * 2 ** index, 300);
        expect(item.receivedAt - tries[index]!.receivedAt, `wait after attempt ${index + 1}`).toBeGreaterThanOrEqual(nominal / 2 - 5);
      });
      // Head of line: the next event was not sent before the first one failed.
      const firstOfNext = receiver.received.findIndex((item) => item.id === next!.id);
      expect(firstOfNext).toBeGreaterThan(receiver.received.lastIndexOf(tries.at(-1)!));
      expect(receiver.delivered.map((item) => item.id)).toEqual([next!.id]);

      expect(await bothInstances('rgs_webhook_deliveries_total', 'outcome="failed"')).toBe(failedBefore + 1);
      const failed = await operator.a.get('/webhooks?status=failed');
      expect(failed.body.items).toEqual([
        expect.objectContaining({ id: first!.id, seq: '1', type: 'session.launched', status: 'failed', attempts: 12, last_error: 'answered 500', last_response_status: 500, failed_at: expect.any(String) }),
      ]);
      expect((await operator.a.get('/audit')).body.items).toContainEqual(
        expect.objectContaining({ action: 'webhook.failed', target_type: 'event', target_id: first!.id, details: expect.objectContaining({ attempts: 12, last_error: 'answered 500' }) }),
      );

      // Another operator sees none of it and cannot retry it.
      const other = await newOperator();
      expect((await other.a.get('/webhooks?status=failed')).body.items).toEqual([]);
      const theirs = await other.a.post(`/webhooks/${first!.id}/retry`);
      expect({ status: theirs.status, code: theirs.body.error.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect((await deliveryOf(first!.id))?.status).toBe('FAILED');
      expect((await operator.a.post(`/webhooks/${randomUUID()}/retry`)).status).toBe(404);
      expect((await operator.a.post('/webhooks/not-an-id/retry')).status).toBe(404);

      const retried = await operator.b.post(`/webhooks/${first!.id}/retry`);
      expect(retried.status).toBe(200);
      expect(retried.body).toMatchObject({ id: first!.id, status: 'pending', attempts: 0 });
      await caughtUp(operator.id);
      expect(receiver.delivered.map((item) => item.id)).toEqual([next!.id, first!.id]);
      expect(await deliveryOf(first!.id)).toMatchObject({ status: 'DELIVERED', attempts: 1 });
      expect((await operator.a.get('/audit?limit=1')).body.items[0]).toMatchObject({
        action: 'webhook.retry',
        target_id: first!.id,
        details: { previous_status: 'failed', attempts: 12, seq: '1', type: 'session.launched' },
      });
    } finally {
      await receiver.stop();
    }
  });

  it('never has two instances send one event: bursts from both, each event received once, in order', async () => {
    const secret = `whsec_${randomBytes(16).toString('hex')}`;
    const receiver = await new WebhookReceiver(secret).start();
    receiver.delayMs = 15;
    try {
      const operator = await newOperator({ webhookUrl: receiver.url, webhookSecret: secret });
      const before = [await metric(server, 'rgs_webhook_deliveries_total', 'outcome="delivered"'), await metric(second, 'rgs_webhook_deliveries_total', 'outcome="delivered"')];
      // Bursts with pauses between: lanes catch up, let go, and both instances race to claim again.
      for (let burst = 0; burst < 6; burst++) {
        await Promise.all(Array.from({ length: 5 }, (_, index) => launch(index % 2 ? operator.a : operator.b, `race_${burst}_${index}`)));
        await new Promise((resolve) => setTimeout(resolve, 120));
      }
      await caughtUp(operator.id);
      const events = await eventsOf(operator.id);
      expect(events).toHaveLength(30);
      expect(receiver.received.map((item) => item.id)).toEqual(events.map((event) => event.id));
      const after = [await metric(server, 'rgs_webhook_deliveries_total', 'outcome="delivered"'), await metric(second, 'rgs_webhook_deliveries_total', 'outcome="delivered"')];
      expect(after[0]! - before[0]! + (after[1]! - before[1]!)).toBe(30);
    } finally {
      await receiver.stop();
    }
  });
});

describe('GET /stream', () => {
  it('resumes after Last-Event-ID across a restart with exactly the events missed, and follows what another instance commits', async () => {
    const operator = await newOperator();
    let restarted = await startRgs(server.database.url, server.redisUrl, ENV);
    try {
      for (let index = 0; index < 3; index++) await launch(operator.a, `resume_${index}`);
      const before = await openStream(restarted.url, operator.key, { query: '?last_event_id=0' });
      expect(before.status).toBe(200);
      await before.waitForMessages(3);
      expect(before.messages.map((message) => message.id)).toEqual(['1', '2', '3']);
      // A graceful shutdown ends the stream.
      await restarted.close();
      await before.ended;
      for (let index = 0; index < 4; index++) await launch(operator.b, `resume_missed_${index}`);
      restarted = await startRgs(server.database.url, server.redisUrl, ENV);
      // The header (an EventSource reconnecting) wins over the query it first connected with.
      const after = await openStream(restarted.url, operator.key, { lastEventId: '3', query: '?last_event_id=0' });
      await after.waitForMessages(4);
      await launch(operator.b, 'resume_live');
      await after.waitForMessages(5);
      const events = await eventsOf(operator.id);
      expect(after.events()).toEqual(
        events.slice(3).map((event) => ({
          id: String(event.seq),
          event: event.type,
          data: { id: event.id, type: event.type, occurred_at: event.occurredAt.toISOString(), data: event.data },
        })),
      );
      after.close();
    } finally {
      await restarted.close();
    }
  });

  it('sends no event before its commit, and never one rolled back', async () => {
    const operator = await newOperator();
    await launch(operator.a, 'commit_0');
    const reader = await openStream(server.url, operator.key, { query: '?last_event_id=0' });
    await reader.waitForMessages(1);
    const uncommitted = (rollBack: boolean) =>
      server.prisma.$transaction(async (tx) => {
        const seen = reader.messages.length;
        const [counter] = await tx.$queryRawUnsafe<{ last_seq: bigint }[]>(
          `UPDATE rgs.event_counter SET last_seq = last_seq + 1 WHERE operator_id = $1::uuid RETURNING last_seq`,
          operator.id,
        );
        await tx.$executeRawUnsafe(
          `INSERT INTO rgs.event (operator_id, seq, id, type, occurred_at, data) VALUES ($1::uuid, $2::bigint, gen_random_uuid(), 'round.completed', now(), '{"roll":6}')`,
          operator.id,
          counter!.last_seq,
        );
        // Written, not committed: several polls go by and the stream shows nothing of it.
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(reader.messages).toHaveLength(seen);
        if (rollBack) throw new Error('rolled back');
      });
    await expect(uncommitted(true)).rejects.toThrow('rolled back');
    await launch(operator.a, 'commit_1');
    await reader.waitForMessages(2);
    // The next commit takes the number the rolled-back one had: the stream has no gap, and no trace of it.
    expect(reader.messages.map((message) => [message.id, message.event])).toEqual([
      ['1', 'session.launched'],
      ['2', 'session.launched'],
    ]);
    await uncommitted(false);
    await reader.waitForMessages(3);
    expect(reader.messages[2]).toMatchObject({ id: '3', event: 'round.completed' });

    // A bet whose debit got no answer (this operator's platform does not listen) is rolled back:
    // it is announced as placed and rolling back, never with its outcome or seed.
    const session = await launch(operator.a, 'commit_bettor');
    const bet = await operator.a.bet({ session_token: session.body.session_token, amount: '1.00', pick: 3 });
    expect(bet.body.error.code).toBe('WALLET_UNAVAILABLE');
    await waitFor('the bet rolling back', () => reader.events().some((event) => event.event === 'bet.rolling_back'));
    const ofBet = reader.events().filter((event) => event.data.data.bet_id !== undefined);
    expect(ofBet.map((event) => event.event)).toEqual(expect.arrayContaining(['bet.placed', 'wallet.debit', 'bet.rolling_back']));
    for (const event of ofBet) {
      expect(event.event).not.toBe('round.completed');
      expect(Object.keys(event.data.data)).not.toContain('roll');
      expect(JSON.stringify(event.data.data)).not.toMatch(/server_seed"/);
    }
    reader.close();
  });

  it('sends `event: reset` first for an id older than what is kept, or one it never gave; pruning keeps what a webhook still needs', async () => {
    const operator = await newOperator();
    for (let index = 0; index < 5; index++) await launch(operator.a, `pruned_${index}`);
    const hooked = await newOperator({ webhookUrl: `http://127.0.0.1:${await freePort()}/down`, webhookSecret: 'a webhook secret' });
    await launch(hooked.a, 'pruned_hooked');
    const monthAgo = new Date(Date.now() - 40 * DAY_MS);
    await server.prisma.rgsEvent.updateMany({ where: { OR: [{ operatorId: operator.id, seq: { lte: 3 } }, { operatorId: hooked.id }] }, data: { occurredAt: monthAgo } });
    expect(await pruneEvents(server.prisma, new Date(Date.now() - 30 * DAY_MS))).toBe(3);
    expect((await eventsOf(operator.id)).map((event) => event.seq)).toEqual([4n, 5n]);
    // Not delivered yet (its receiver is down): kept.
    expect(await eventsOf(hooked.id)).toHaveLength(1);

    const pruned = await openStream(server.url, operator.key, { query: '?last_event_id=1' });
    await pruned.waitForMessages(3);
    expect(pruned.messages[0]).toEqual({ id: '3', event: 'reset', data: JSON.stringify({ last_event_id: '1', resumes_after: '3' }) });
    expect(pruned.messages.slice(1).map((message) => message.id)).toEqual(['4', '5']);
    pruned.close();

    const kept = await openStream(server.url, operator.key, { lastEventId: '3' });
    await kept.waitForMessages(2);
    expect(kept.messages.map((message) => [message.id, message.event])).toEqual([
      ['4', 'session.launched'],
      ['5', 'session.launched'],
    ]);
    kept.close();

    const unknown = await openStream(server.url, operator.key, { lastEventId: '99' });
    await unknown.waitForMessages(1);
    await launch(operator.a, 'pruned_after');
    await unknown.waitForMessages(2);
    expect(unknown.messages).toEqual([
      { id: '5', event: 'reset', data: JSON.stringify({ last_event_id: '99', resumes_after: '5' }) },
      expect.objectContaining({ id: '6', event: 'session.launched' }),
    ]);
    unknown.close();

    for (const bad of ['?last_event_id=abc', '?last_event_id=-1', '?last_event_id=1.5']) {
      const refused = await operator.a.get(`/stream${bad}`);
      expect({ bad, status: refused.status, code: refused.body.error.code }).toEqual({ bad, status: 400, code: 'INVALID_REQUEST' });
    }
  });

  it("shows an operator its own events only; another operator's key gets none of them", async () => {
    const mine = await newOperator();
    const theirs = await newOperator();
    await launch(mine.a, 'tenant_mine');
    await launch(theirs.a, 'tenant_theirs');
    await launch(mine.b, 'tenant_mine_again');
    const reader = await openStream(server.url, theirs.key, { query: '?last_event_id=0' });
    await reader.waitForMessages(1);
    await launch(mine.a, 'tenant_mine_later');
    await launch(theirs.b, 'tenant_theirs_later');
    await reader.waitForMessages(2);
    const own = await eventsOf(theirs.id);
    expect(reader.events().map((event) => event.data.id)).toEqual(own.map((event) => event.id));
    expect(reader.events().map((event) => event.data.data.player_id)).toEqual(['tenant_theirs', 'tenant_theirs_later']);
    expect((await operatorClient(server.url, 'no-such-key').get('/stream')).status).toBe(401);
    reader.close();
  });

  it('keeps an idle stream alive with heartbeats, and cuts a client that does not read', async () => {
    const operator = await newOperator();
    const idle = await openStream(server.url, operator.key);
    await waitFor('a heartbeat', () => idle.comments.includes('heartbeat'));
    idle.close();

    // 16 MB of events for a client that never reads: past the socket buffers and the stream's 64 KB, it is cut.
    await journaled(server.prisma, null, async (_tx, journal) => {
      for (let index = 0; index < 1_000; index++) journal.event(operator.id, 'bet.placed', { padding: 'x'.repeat(16 * 1024) });
    });
    const cutBefore = await metric(server, 'rgs_stream_clients_cut_total');
    const port = Number(new URL(server.url).port);
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`GET /stream?last_event_id=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Operator-Key: ${operator.key}\r\n\r\n`);
    try {
      await waitFor('the slow client cut', async () => (await metric(server, 'rgs_stream_clients_cut_total')) === cutBefore + 1, 20_000);
      await waitFor('no stream left open', async () => (await metric(server, 'rgs_stream_clients')) === 0);
    } finally {
      socket.destroy();
    }
  });
});
