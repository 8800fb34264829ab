import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the proxy does with one callback: `pass` it on; answer `500` without passing it on; pass it
 * on and answer only after `lateMs` (`late`: the caller has given up, the money moved); pass it on
 * and `drop` the connection instead of answering; `hold` it, passing it on and never answering.
 */
export type Fault = 'pass' | '500' | 'late' | 'drop' | 'hold';

export interface SeenCallback {
  action: string;
  body: Record<string, any>;
  fault: Fault;
  /** Calls of the same action and transaction id still unanswered when this one came: a sender's lease broken. */
  alongside: number;
}

interface Rule {
  action: string;
  fault: Fault;
  /** Applies to the callbacks it accepts (all by default); `times` of them, or every one. */
  when: (body: Record<string, any>) => boolean;
  times: number;
}

/**
 * The platform as the RGS sees it through an unreliable network: a proxy in front of the router's
 * /callbacks/*, faulting the callbacks its rules name and passing the others on. `down()` stops
 * listening (connections refused), `up()` listens on the same port again.
 */
export class FaultProxy {
  readonly seen: SeenCallback[] = [];
  private rules: Rule[] = [];
  private server: Server;
  private readonly held = new Set<ServerResponse>();
  /** Unanswered calls per action and transaction id. */
  private readonly inFlight = new Map<string, number>();
  port = 0;

  constructor(
    private readonly target: string,
    private readonly lateMs = 2_000,
  ) {
    this.server = this.makeServer();
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Faults the next `times` callbacks of `action` that `when` accepts (Infinity: every one). */
  fault(action: string, fault: Fault, { times = 1, when = () => true }: { times?: number; when?: (body: Record<string, any>) => boolean } = {}): void {
    this.rules.push({ action, fault, when, times });
  }

  clearFaults(): void {
    this.rules = [];
  }

  /** The callbacks of `action` seen for one transaction id. */
  calls(action: string, transactionId: string): SeenCallback[] {
    return this.seen.filter((call) => call.action === action && call.body.transaction_id === transactionId);
  }

  async down(): Promise<void> {
    await this.close();
    this.server = this.makeServer();
  }

  up(): Promise<this> {
    return this.start();
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.held.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private makeServer(): Server {
    return createServer((request, response) => void this.handle(request, response));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const action = request.url?.split('/').at(-1) ?? '';
    const body = JSON.parse(raw.toString('utf8')) as Record<string, any>;
    const rule = this.rules.find((candidate) => candidate.action === action && candidate.times > 0 && candidate.when(body));
    if (rule) rule.times--;
    const fault = rule?.fault ?? 'pass';
    const movement = `${action}:${body.transaction_id}`;
    const alongside = this.inFlight.get(movement) ?? 0;
    this.inFlight.set(movement, alongside + 1);
    response.once('close', () => this.inFlight.set(movement, this.inFlight.get(movement)! - 1));
    this.seen.push({ action, body, fault, alongside });
    if (fault === '500') {
      response.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    const forwarded = await fetch(`${this.target}${request.url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': String(request.headers['x-signature']) },
      body: raw,
    });
    const text = await forwarded.text();
    if (fault === 'drop') {
      response.destroy();
      return;
    }
    if (fault === 'hold') {
      this.held.add(response);
      return;
    }
    if (fault === 'late') await new Promise((resolve) => setTimeout(resolve, this.lateMs));
    if (!response.destroyed) response.writeHead(forwarded.status, { 'content-type': 'application/json' }).end(text);
  }
}
