import { waitFor } from '@rgb/kit/testing';
import { type WebSocket, WebSocketServer } from 'ws';

/** One client connection the stand-in accepted. */
export interface StreamConnection {
  socket: WebSocket;
  openedAt: number;
  /** When the client or the server closed it. */
  closedAt: number | null;
}

/**
 * A stand-in for Pushbullet's stream (wss://stream.pushbullet.com/websocket/<token>) on a local
 * port: JSON text frames, the access token as the path's last segment (any other is refused
 * with 401, as Pushbullet refuses a bad token). It is stopped and started again on the same port.
 */
export class FakePushbullet {
  readonly connections: StreamConnection[] = [];
  /** Each connection is closed as soon as it opens, before any frame (a stream that keeps failing). */
  dropOnOpen = false;
  private server: WebSocketServer | null = null;

  constructor(
    readonly port: number,
    readonly token: string,
  ) {}

  /** PUSHBULLET_STREAM_URL of this stand-in. */
  get streamUrl(): string {
    return `ws://127.0.0.1:${this.port}/websocket/`;
  }

  start(): Promise<void> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: this.port,
      verifyClient: ({ req }, done) => (req.url === `/websocket/${this.token}` ? done(true) : done(false, 401)),
    });
    server.on('connection', (socket) => {
      const connection: StreamConnection = { socket, openedAt: Date.now(), closedAt: null };
      this.connections.push(connection);
      socket.on('close', () => {
        connection.closedAt = Date.now();
      });
      if (this.dropOnOpen) socket.close(1011, 'try again');
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  }

  /** Stops listening and ends every connection at once (no close handshake: the network gone). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The connection open now (the latest), waiting for it up to `timeoutMs`. */
  open(timeoutMs = 5_000): Promise<StreamConnection> {
    return waitFor('an open Pushbullet stream connection', () => this.connections.findLast((connection) => connection.closedAt === null && connection.socket.readyState === 1), timeoutMs);
  }

  /** Sends `frame` on the open connection. */
  async send(frame: object): Promise<void> {
    (await this.open()).socket.send(JSON.stringify(frame));
  }
}

/** A `push` frame carrying an app's notification mirrored from the phone, as Pushbullet sends it. */
export function mirror(fields: { title: string; body: string; notification_id: string; package_name?: string; application_name?: string }) {
  return {
    type: 'push',
    push: {
      type: 'mirror',
      source_device_iden: 'ujpah72o0sjAoRtnM0jc',
      source_user_iden: 'ujpah72o0',
      application_name: 'KB스타뱅킹',
      package_name: 'com.kbstar.kbbank',
      dismissible: true,
      icon: 'iVBORw0KGgo=',
      ...fields,
    },
  };
}
