import { adminSubgraph } from '@rgb/admin';
import { createLogger, createWorker, Metrics, type Worker } from '@rgb/kit';
import { freePort, startTestSubgraph, waitFor } from '@rgb/kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PushbulletStream, type PushbulletStreamOptions } from '../src/pushbullet';
import { loadReconWorkerConfig, startReconWorker } from '../src/worker';
import { FakePushbullet, mirror } from './pushbullet-server';
import { type ReconIngest, startReconIngest } from './support';

const TOKEN = 'o.TestAccessToken0123456789';
let ingest: ReconIngest;
let deviceId: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ingest = await startReconIngest();
  deviceId = await ingest.device(ingest.recon.brands.acme);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await ingest?.close();
});

const prisma = () => ingest.recon.deps.prisma;
const pushRows = (device = deviceId) => prisma().reconMessage.findMany({ where: { deviceId: device, channel: 'PUSH' }, orderBy: { id: 'asc' } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function fakePushbullet(): Promise<FakePushbullet> {
  const server = new FakePushbullet(await freePort(), TOKEN);
  cleanups.push(() => server.stop());
  return server;
}

/** A stream to `server` run as recon_worker runs it: a loop of a worker (health included), failing after 100 ms. */
function runStream(server: FakePushbullet, options: Partial<PushbulletStreamOptions> = {}): { stream: PushbulletStream; worker: Worker; metrics: Metrics } {
  const metrics = new Metrics('recon_worker', { processMetrics: false });
  const log = createLogger('recon_worker', 'silent');
  const stream = new PushbulletStream({ streamUrl: server.streamUrl, token: TOKEN, deviceId, prisma: prisma(), log, metrics, ...options });
  const worker = createWorker({ name: 'recon_worker', log, metrics, loops: [stream], failureGraceMs: 100 });
  worker.start();
  cleanups.push(async () => {
    await worker.stop();
    await stream.close();
  });
  return { stream, worker, metrics };
}

/** A counter's values, one `{ outcome, value }` per label set. */
const counted = async (metrics: Metrics, name: string) =>
  (await metrics.registry.getSingleMetric(name)!.get()).values.map(({ labels, value }) => ({ outcome: String(labels.outcome), value }));

describe('the Pushbullet stream', () => {
  it('stores each mirrored notification once as a PUSH text of its device, and nothing of any other frame', async () => {
    const server = await fakePushbullet();
    await server.start();
    const { metrics } = runStream(server, { apps: ['com.example.LocalBank'] });
    const connection = await server.open();
    const deposit = { title: '입금 50,000원', body: '홍*동 12/07 14:03 잔액 1,250,000원', notification_id: '1' };
    await server.send({ type: 'nop' });
    await server.send({ type: 'tickle', subtype: 'push' });
    await server.send(mirror(deposit));
    await server.send(mirror(deposit));
    // The app reuses its notification id for its next notification.
    await server.send(mirror({ ...deposit, body: '김*수 12/07 14:05 잔액 1,300,000원' }));
    await server.send({ type: 'push', push: { type: 'dismissal', package_name: 'com.kbstar.kbbank', notification_id: '1', notification_tag: null } });
    await server.send({ type: 'push', push: { type: 'sms_changed', notifications: [] } });
    connection.socket.send('not json');
    // A chat app's notification is someone's own business, whatever it says: never stored.
    await server.send(mirror({ title: '엄마', body: '입금 10,000원 했어', notification_id: '9', package_name: 'com.kakao.talk', application_name: '카카오톡' }));
    await server.send(mirror({ title: '', body: '토스 입금 3,000원 이*희', notification_id: '-7', package_name: 'viva.republica.toss' }));
    // An app a brand's own pattern reads, named in PUSHBULLET_APPS.
    await server.send(mirror({ title: '', body: '입금 4,000원 박*수', notification_id: '3', package_name: 'com.example.localbank', application_name: 'Local' }));
    const rows = await waitFor('four texts stored', async () => {
      const found = await pushRows();
      return found.length >= 4 && found;
    });
    await sleep(100);
    expect(await pushRows()).toHaveLength(4);
    expect(rows.map(({ brandId, channel, sender, body, status }) => ({ brandId, channel, sender, body, status }))).toEqual([
      { brandId: ingest.recon.brands.acme.id, channel: 'PUSH', sender: 'com.kbstar.kbbank', body: '입금 50,000원\n홍*동 12/07 14:03 잔액 1,250,000원', status: 'RECEIVED' },
      { brandId: ingest.recon.brands.acme.id, channel: 'PUSH', sender: 'com.kbstar.kbbank', body: '입금 50,000원\n김*수 12/07 14:05 잔액 1,300,000원', status: 'RECEIVED' },
      { brandId: ingest.recon.brands.acme.id, channel: 'PUSH', sender: 'viva.republica.toss', body: '토스 입금 3,000원 이*희', status: 'RECEIVED' },
      { brandId: ingest.recon.brands.acme.id, channel: 'PUSH', sender: 'com.example.localbank', body: '입금 4,000원 박*수', status: 'RECEIVED' },
    ]);
    expect(await counted(metrics, 'recon_pushbullet_pushes_total')).toEqual(
      expect.arrayContaining([
        { outcome: 'stored', value: 4 },
        { outcome: 'duplicate', value: 1 },
        { outcome: 'ignored', value: 3 },
      ]),
    );
    expect(server.connections).toHaveLength(1);
  });

  it('stays on one connection while nops come, and opens another once the stream falls silent', async () => {
    const server = await fakePushbullet();
    await server.start();
    const { stream } = runStream(server, { silenceMs: 500, firstBackoffMs: 100 });
    await server.open();
    let lastNopAt = 0;
    for (let i = 0; i < 8; i++) {
      await server.send({ type: 'nop' });
      lastNopAt = Date.now();
      await sleep(150);
    }
    expect(server.connections.map((connection) => connection.closedAt)).toEqual([null]);
    expect(stream.describe()).toMatchObject({ connected: true, reconnects: 0 });
    expect(Date.parse(stream.describe().lastFrameAt!)).toBeGreaterThanOrEqual(lastNopAt - 50);

    const second = await waitFor('a second connection', () => server.connections[1], 3_000);
    // Silent for 500 ms, then the backoff (50 to 100 ms) before the new connection.
    expect(second.openedAt - lastNopAt).toBeGreaterThanOrEqual(500 + 50);
    await waitFor('the silent connection closed', () => server.connections[0]!.closedAt !== null);
    expect(stream.describe()).toMatchObject({ reconnects: 1 });
    await server.open();
    await server.send(mirror({ title: '입금 8,000원', body: '정*우', notification_id: 'silence' }));
    await waitFor('the text after the reconnection stored', async () => (await pushRows()).some((row) => row.body === '입금 8,000원\n정*우'));
  });

  it('reconnects after the server drops it, waiting twice as long after each connection that failed (up to the cap), and carries on', async () => {
    const server = await fakePushbullet();
    await server.start();
    const { stream } = runStream(server, { firstBackoffMs: 200, maxBackoffMs: 800 });
    const first = await server.open();
    await server.send({ type: 'nop' });
    await waitFor('the nop heard', () => stream.describe().lastFrameAt !== null);
    server.dropOnOpen = true;
    first.socket.terminate();
    await waitFor('four failed connections', () => server.connections.length >= 5 && server.connections[4]!.closedAt !== null, 10_000);
    server.dropOnOpen = false;
    const connections = server.connections.slice(0, 5);
    const gaps = connections.slice(1).map((connection, i) => connection.openedAt - connections[i]!.closedAt!);
    // Each wait is between half and all of its ceiling: 200 ms (after a connection that carried a frame), 400, 800, then 800 (the cap).
    const tolerance = 25;
    expect(gaps[0]).toBeGreaterThanOrEqual(100 - tolerance);
    expect(gaps[1]).toBeGreaterThanOrEqual(200 - tolerance);
    expect(gaps[2]).toBeGreaterThanOrEqual(400 - tolerance);
    expect(gaps[3]).toBeGreaterThanOrEqual(400 - tolerance);
    expect(gaps[3]).toBeLessThan(800 + 400);
    await server.open();
    await server.send(mirror({ title: '입금 9,000원', body: '한*슬', notification_id: 'drop' }));
    await waitFor('the text after the reconnections stored', async () => (await pushRows()).some((row) => row.body === '입금 9,000원\n한*슬'));
    expect(stream.describe().reconnects).toBeGreaterThanOrEqual(5);
  });

  it('turns the worker unhealthy while the stream is down longer than the grace, and healthy again once it is back', async () => {
    const server = await fakePushbullet();
    const { worker } = runStream(server, { downGraceMs: 300, firstBackoffMs: 50, maxBackoffMs: 100 });
    const health = async () => {
      const response = await worker.app.inject({ method: 'GET', url: '/health' });
      const body = response.json();
      return { status: response.statusCode, reason: body.reason as string | undefined, loop: body.loops.find((loop: { name: string }) => loop.name === 'pushbullet stream -> recon texts') };
    };
    // Nothing listens: never connected.
    const down = await waitFor('unhealthy', async () => {
      const answer = await health();
      return answer.status === 503 && answer;
    });
    expect(down.reason).toMatch(/pushbullet stream -> recon texts: failing for \d+ s: the Pushbullet stream has been down for \d+ s/);
    expect(down.loop).toMatchObject({ connected: false, lastFrameAt: null, waiting: 0 });

    await server.start();
    const up = await waitFor('healthy', async () => {
      const answer = await health();
      return answer.status === 200 && answer;
    });
    expect(up.loop).toMatchObject({ connected: true, lastError: null });
    expect(up.loop.reconnects).toBeGreaterThan(0);

    await server.stop();
    const downAgain = await waitFor('unhealthy again', async () => {
      const answer = await health();
      return answer.status === 503 && answer;
    });
    expect(downAgain.loop).toMatchObject({ connected: false });
    await server.start();
    await waitFor('healthy again', async () => (await health()).status === 200);
  });

  it('closes its connection on shutdown, stores what came and no turn stored yet, and opens no other', async () => {
    const server = await fakePushbullet();
    await server.start();
    const metrics = new Metrics('recon_worker', { processMetrics: false });
    const stream = new PushbulletStream({ streamUrl: server.streamUrl, token: TOKEN, deviceId, prisma: prisma(), log: createLogger('recon_worker', 'silent'), metrics, firstBackoffMs: 50 });
    // One turn opens the stream; no other turn comes.
    await stream.tick();
    await server.open();
    await server.send(mirror({ title: '입금 4,000원', body: '윤*아', notification_id: 'shutdown' }));
    await waitFor('the notification received', () => stream.describe().waiting === 1);
    await stream.close();
    expect((await pushRows()).filter((row) => row.body === '입금 4,000원\n윤*아')).toHaveLength(1);
    await waitFor('the connection closed', () => server.connections[0]!.closedAt !== null);
    await sleep(300);
    expect(server.connections).toHaveLength(1);
    expect(stream.describe()).toMatchObject({ connected: false, waiting: 0 });
  });

  it('stores nothing of a device that is not registered, and counts the push refused', async () => {
    const server = await fakePushbullet();
    await server.start();
    const { stream, metrics } = runStream(server, { deviceId: 'unregistered-phone' });
    await server.open();
    await server.send(mirror({ title: '입금 6,000원', body: '서*진', notification_id: 'refused' }));
    await waitFor('the push refused', async () => (await counted(metrics, 'recon_pushbullet_pushes_total')).some((value) => value.outcome === 'refused' && value.value === 1));
    expect(await pushRows('unregistered-phone')).toEqual([]);
    expect(stream.describe()).toMatchObject({ connected: true, waiting: 0 });
  });
});

describe('recon_worker', () => {
  it('holds the Pushbullet stream open with PUSHBULLET_TOKEN and stores the pushes of PUSHBULLET_DEVICE_ID', async () => {
    const server = await fakePushbullet();
    await server.start();
    // recon_worker reads the brands (for the texts it matches) from the admin domain before it starts.
    const admin = await startTestSubgraph(adminSubgraph, ingest.recon.database.url);
    cleanups.push(() => admin.close());
    const worker = await startReconWorker(
      loadReconWorkerConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: ingest.recon.database.url,
        ADMIN_URL: admin.url,
        DATABASE_POOL_SIZE: '2',
        PORT: '0',
        METRICS_PORT: '0',
        ENABLE_OUTBOX_POLLER: 'false',
        PUSHBULLET_TOKEN: TOKEN,
        PUSHBULLET_DEVICE_ID: deviceId,
        PUSHBULLET_STREAM_URL: server.streamUrl,
      }),
    );
    cleanups.push(() => worker.close());
    const connection = await server.open();
    await server.send(mirror({ title: '입금 12,000원', body: '임*호', notification_id: 'worker' }));
    await waitFor('the push stored', async () => (await pushRows()).some((row) => row.body === '입금 12,000원\n임*호'));
    const health = await fetch(`${worker.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { loops: unknown[] }).loops).toContainEqual(expect.objectContaining({ name: 'pushbullet stream -> recon texts', connected: true, reconnects: 0 }));
    await worker.close();
    cleanups.pop();
    await waitFor('the stream closed with the worker', () => connection.closedAt !== null);
  });
});
