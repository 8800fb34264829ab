// An operator's webhook receiver written from docs/api/rgs-operators.md alone ("Webhooks"), as an
// operator would write it: it must not import the RGS's code, so it checks that code against the
// published format. "POST to the operator's webhook URL with JSON {"id","type","occurred_at","data"},
// headers X-RGS-Timestamp (Unix seconds) and X-RGS-Signature (hex HMAC-SHA256 with the operator's
// webhook secret of timestamp + "." + body); any 2xx is delivery."
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How far a timestamp may be from the receiver's clock: older ones would be replays. */
const TOLERANCE_SECONDS = 300;

/** True when `signature` is the documented signature of `timestamp` and `body` under `secret`. */
export function signatureHolds(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest();
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** One POST the receiver got, and what it answered. */
export interface Received {
  id: string;
  type: string;
  occurred_at: string;
  data: Record<string, unknown>;
  /** The body's keys, in order. */
  keys: string[];
  body: string;
  timestamp: string;
  signature: string;
  signed: boolean;
  receivedAt: number;
  answered: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** The status to answer a correctly signed POST with (2xx: delivered). */
  answer: (received: Received) => number = () => 200;
  /** How long the receiver takes to answer. */
  delayMs = 0;
  private server: Server | null = null;

  constructor(
    private readonly secret: string,
    public port = 0,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/rgs-webhooks`;
  }

  /** The POSTs answered with a 2xx: the deliveries. */
  get delivered(): Received[] {
    return this.received.filter((item) => item.answered >= 200 && item.answered < 300);
  }

  async start(): Promise<this> {
    const server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString('utf8');
      const timestamp = String(request.headers['x-rgs-timestamp'] ?? '');
      const signature = String(request.headers['x-rgs-signature'] ?? '');
      const fresh = /^\d+$/.test(timestamp) && Math.abs(Date.now() / 1000 - Number(timestamp)) <= TOLERANCE_SECONDS;
      const signed = fresh && request.method === 'POST' && request.headers['content-type'] === 'application/json' && signatureHolds(this.secret, timestamp, body, signature);
      const event = JSON.parse(body) as Record<string, unknown>;
      const received: Received = {
        id: event.id as string,
        type: event.type as string,
        occurred_at: event.occurred_at as string,
        data: event.data as Record<string, unknown>,
        keys: Object.keys(event),
        body,
        timestamp,
        signature,
        signed,
        receivedAt: Date.now(),
        answered: 0,
      };
      received.answered = signed ? this.answer(received) : 401;
      this.received.push(received);
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      response.writeHead(received.answered).end();
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening: connections are refused until `start()` again, on the same port. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
