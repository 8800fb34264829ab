import { DomainError } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { Logger, Metrics, TickResult, WorkerLoop } from '@rgb/kit';
import { Counter, Gauge } from 'prom-client';
import { z } from 'zod';
import type { ReconWorkerConfig } from './config';
import { type IncomingText, storableText, storeMessage } from './ingest/messages';
import { BANKS } from './parsers';

/** An app's notification, mirrored from the phone (Pushbullet's `mirror` push). */
const mirrorPush = z.object({
  type: z.literal('mirror'),
  application_name: storableText(0, 256).optional(),
  package_name: storableText(0, 256).optional(),
  title: storableText(0, 4_096).default(''),
  body: storableText(0, 4_096).default(''),
  notification_id: z.union([z.string(), z.number()]).optional(),
  iden: z.string().optional(),
});

/** A frame of Pushbullet's stream: `nop` (every 30 s), `tickle` (something changed on the account), `push` (an ephemeral). */
const frame = z.object({ type: z.string(), push: z.looseObject({ type: z.string() }).optional() });

export interface PushbulletStreamOptions {
  /** Pushbullet's stream, to which the access token is appended (never logged). */
  streamUrl: string;
  token: string;
  /** The recon device (and so the brand) whose phone Pushbullet mirrors. */
  deviceId: string;
  /** Apps (package ids or names) whose notifications are stored besides the banks' the parsers know: those a brand's own pattern reads. */
  apps?: readonly string[];
  prisma: PrismaClient;
  log: Logger;
  metrics: Metrics;
  /** No frame for this long (Pushbullet sends a `nop` every 30 s): the connection is dead, open another. */
  silenceMs?: number;
  /** Down longer than this: the loop fails, and the worker's health with it. */
  downGraceMs?: number;
  /** The first reconnection's wait; each further one waits twice as long, up to `maxBackoffMs` (each taken between half and all of it). */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Holds Pushbullet's stream open and stores the app notifications it mirrors (a bank app's
 * deposit notice) as PUSH texts of the configured device. Pushbullet keeps no copy of a mirrored
 * notification, so one received is kept in memory until stored (the loop's turns store them,
 * retried by the worker while the database is away). As a worker loop it opens the stream on its
 * first turn and fails while the stream has been down longer than the grace, so the worker's
 * health shows a stream that cannot be reached.
 */
export class PushbulletStream implements WorkerLoop {
  readonly name = 'pushbullet stream -> recon texts';
  readonly idleDelayMs = 100;
  private readonly silenceMs: number;
  private readonly downGraceMs: number;
  private readonly firstBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly received: IncomingText[] = [];
  /** Every other app's notifications (chats, system notices) are people's own business: never stored. */
  private readonly storedApps: ReadonlySet<string>;
  private socket: WebSocket | null = null;
  private connected = false;
  private started = false;
  private closed = false;
  /** Since when the stream has been down (from the start until the first connection). */
  private downSince: number | null = Date.now();
  private lastFrameAt: number | null = null;
  /** Connections that ended before a frame came since the last one that carried one. */
  private failures = 0;
  private reconnects = 0;
  private silence: NodeJS.Timeout | null = null;
  private reconnection: NodeJS.Timeout | null = null;
  private readonly pushes: Counter<'outcome'>;
  private readonly reconnections: Counter;

  constructor(private readonly options: PushbulletStreamOptions) {
    this.silenceMs = options.silenceMs ?? 90_000;
    this.downGraceMs = options.downGraceMs ?? 120_000;
    this.firstBackoffMs = options.firstBackoffMs ?? 1_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.storedApps = new Set([...BANKS.flatMap((bank) => bank.senders), ...(options.apps ?? [])].map(appKey));
    const registers = [options.metrics.registry];
    this.pushes = new Counter({
      name: 'recon_pushbullet_pushes_total',
      help: 'Pushes from the Pushbullet stream by outcome: stored, duplicate, ignored (not a mirrored notification), refused (device not registered or inactive)',
      labelNames: ['outcome'],
      registers,
    });
    this.reconnections = new Counter({ name: 'recon_pushbullet_reconnects_total', help: 'Connections to the Pushbullet stream opened again after one ended', registers });
    const stream = this;
    new Gauge({
      name: 'recon_pushbullet_connected',
      help: '1 while the Pushbullet stream is open',
      registers,
      collect() {
        this.set(stream.connected ? 1 : 0);
      },
    });
  }

  async tick(): Promise<TickResult> {
    if (!this.started) {
      this.started = true;
      this.connect();
    }
    const worked = await this.storeReceived();
    const downMs = this.downSince === null ? 0 : Date.now() - this.downSince;
    if (downMs > this.downGraceMs) throw new Error(`the Pushbullet stream has been down for ${Math.round(downMs / 1_000)} s`);
    return { worked, pending: false };
  }

  describe() {
    return {
      connected: this.connected,
      lastFrameAt: this.lastFrameAt === null ? null : new Date(this.lastFrameAt).toISOString(),
      reconnects: this.reconnects,
      /** Received, not stored yet (the database away). */
      waiting: this.received.length,
    };
  }

  /** Closes the stream and stores what it delivered and no turn stored yet (the worker's loops have stopped). */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    this.socket?.close();
    this.socket = null;
    this.connected = false;
    try {
      await this.storeReceived();
    } catch (error) {
      this.options.log.error({ err: error, lost: this.received }, 'mirrored notifications lost at shutdown: the database did not take them');
    }
  }

  /** Stores the received notifications in order; a fault leaves the rest for the next turn. */
  private async storeReceived(): Promise<number> {
    let worked = 0;
    while (this.received.length > 0) {
      const text = this.received[0]!;
      try {
        const { duplicate } = await storeMessage(this.options.prisma, text);
        this.pushes.inc({ outcome: duplicate ? 'duplicate' : 'stored' });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        this.pushes.inc({ outcome: 'refused' });
        this.options.log.error({ err: error, device_id: text.deviceId, sender: text.sender }, 'mirrored notification refused: PUSHBULLET_DEVICE_ID is not an active recon device');
      }
      this.received.shift();
      worked++;
    }
    return worked;
  }

  private connect(): void {
    const socket = new WebSocket(`${this.options.streamUrl}${this.options.token}`);
    this.socket = socket;
    // Events of a socket given up (silent, or closed by us) are no longer this stream's.
    const current = () => socket === this.socket;
    socket.addEventListener('open', () => {
      if (!current()) return;
      this.connected = true;
      this.downSince = null;
      this.heard();
      this.options.log.info({ stream: this.options.streamUrl }, 'pushbullet stream open');
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (!current()) return;
      this.failures = 0;
      this.heard();
      this.read(event.data);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      if (current()) this.lost(`closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    });
    // Always followed by `close`, where it is handled.
    socket.addEventListener('error', () => {});
  }

  /** A frame (or the opening): the silence allowed starts again. */
  private heard(): void {
    this.lastFrameAt = Date.now();
    if (this.silence) this.silence.refresh();
    else this.silence = setTimeout(() => this.lost(`silent for ${this.silenceMs} ms`), this.silenceMs);
  }

  private read(data: unknown): void {
    let parsed: z.infer<typeof frame>;
    try {
      parsed = frame.parse(JSON.parse(String(data)));
    } catch (error) {
      this.options.log.warn({ err: error }, 'pushbullet frame unreadable; ignored');
      return;
    }
    if (parsed.type !== 'push' || !parsed.push) return;
    const mirror = mirrorPush.safeParse(parsed.push);
    if (!mirror.success) {
      this.pushes.inc({ outcome: 'ignored' });
      if (parsed.push.type === 'mirror') this.options.log.warn({ reason: mirror.error.message }, 'mirrored notification unreadable; ignored');
      return;
    }
    const { title, body, package_name, application_name, notification_id, iden } = mirror.data;
    const text = [title, body].filter(Boolean).join('\n');
    const fromBankApp = [package_name, application_name].some((app) => app !== undefined && this.storedApps.has(appKey(app)));
    if (!text || !fromBankApp) {
      this.pushes.inc({ outcome: 'ignored' });
      return;
    }
    this.received.push({
      channel: 'PUSH',
      deviceId: this.options.deviceId,
      sender: package_name || application_name || '',
      body: text,
      receivedAt: new Date(),
      notificationKey: String(notification_id ?? iden ?? ''),
    });
  }

  /** The connection is gone (closed, failed, or silent): another is opened after the backoff. */
  private lost(reason: string): void {
    const socket = this.socket;
    this.socket = null;
    this.connected = false;
    this.downSince ??= Date.now();
    this.clearTimers();
    socket?.close();
    if (this.closed) return;
    const ceiling = Math.min(this.firstBackoffMs * 2 ** this.failures, this.maxBackoffMs);
    const waitMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.failures++;
    this.options.log.warn({ reason, retry_in_ms: waitMs }, 'pushbullet stream lost; reconnecting');
    this.reconnection = setTimeout(() => {
      this.reconnection = null;
      this.reconnects++;
      this.reconnections.inc();
      this.connect();
    }, waitMs);
  }

  private clearTimers(): void {
    if (this.silence) clearTimeout(this.silence);
    if (this.reconnection) clearTimeout(this.reconnection);
    this.silence = null;
    this.reconnection = null;
  }
}

/** recon_worker's stream of the phone PUSHBULLET_DEVICE_ID names, when PUSHBULLET_TOKEN is configured. */
export function pushbulletStream(config: ReconWorkerConfig, deps: Pick<PushbulletStreamOptions, 'prisma' | 'log' | 'metrics'>): PushbulletStream | null {
  const { PUSHBULLET_TOKEN: token, PUSHBULLET_DEVICE_ID: deviceId, PUSHBULLET_STREAM_URL: streamUrl, PUSHBULLET_APPS: apps } = config;
  // The config requires the device with the token.
  return token && deviceId ? new PushbulletStream({ streamUrl, token, deviceId, apps, ...deps }) : null;
}

/** An app as the bank table names it: its package id or name, trimmed, in lower case. */
const appKey = (app: string) => app.trim().toLowerCase();
