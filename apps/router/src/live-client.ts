/** A client's graphql-ws socket, as the fan-out writes to it (ws's `WebSocket`). */
export interface ClientSocket {
  readonly readyState: number;
  /** Bytes sent but not yet handed to the kernel. */
  readonly bufferedAmount: number;
  send(data: string, sent: (error?: Error) => void): void;
}

/** Where a client's results go: its socket, under the id it subscribed with. */
export interface ClientStream {
  socket: ClientSocket;
  id: string;
}

/** ws's `WebSocket.OPEN`. */
const OPEN = 1;

/**
 * One client's subscription. Each result comes serialized once for every client of the shared
 * execution, and is written to the client's socket at once, as the graphql-ws `next` message of
 * the client's id (that id spliced in), not through a promise or iterator per client. A client
 * whose socket still holds more than `slowBytes` to send is slow: it keeps only the latest result,
 * sent once a write of the socket completes with it below that (each result is a fresh snapshot,
 * so a slow client costs one waiting result and holds up nobody).
 *
 * To graphql-ws it is the subscription's iterator: one that yields nothing (results bypass it) and
 * ends when the subscription does, whereupon graphql-ws completes it; its `return()` (the client
 * completes, the socket closes) leaves.
 */
export class LiveClient implements AsyncIterableIterator<never> {
  /** Results replaced by a later one while the client was slow. */
  dropped = 0;
  private readonly prefix: string;
  /** The latest result, waiting for a slow socket. */
  private held: string | null = null;
  private ended = false;
  private waitingForEnd: ((result: IteratorResult<never>) => void) | null = null;

  /** `onEnd` runs once, when the subscription ends from either side. */
  constructor(
    private readonly stream: ClientStream,
    private readonly slowBytes: number,
    private readonly onEnd: () => void,
  ) {
    this.prefix = `{"id":${JSON.stringify(stream.id)},"type":"next","payload":`;
  }

  /** A result, as the JSON text of its payload. */
  deliver(payload: string): void {
    if (this.ended) return;
    if (this.stream.socket.bufferedAmount > this.slowBytes) {
      if (this.held !== null) this.dropped++;
      this.held = payload;
      return;
    }
    this.write(payload);
  }

  /** Ends the subscription after `last` (an error that ends it), or else the result held for a slow socket. */
  end(last?: string): void {
    if (this.ended) return;
    if (last !== undefined && this.held !== null) this.dropped++;
    const final = last ?? this.held;
    if (final !== null) this.write(final);
    this.finish();
  }

  get done(): boolean {
    return this.ended;
  }

  next(): Promise<IteratorResult<never>> {
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waitingForEnd = resolve;
    });
  }

  return(): Promise<IteratorResult<never>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private write(payload: string): void {
    const { socket } = this.stream;
    // A closing socket: graphql-ws ends the subscription (return()) once it has closed.
    if (socket.readyState !== OPEN) return;
    socket.send(`${this.prefix}${payload}}`, this.written);
  }

  /** After each write completes (or fails: the socket is closing), a held result goes once the socket has caught up. */
  private readonly written = (): void => {
    if (this.held === null || this.stream.socket.bufferedAmount > this.slowBytes) return;
    const held = this.held;
    this.held = null;
    this.write(held);
  };

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.held = null;
    this.waitingForEnd?.({ value: undefined, done: true });
    this.waitingForEnd = null;
    this.onEnd();
  }
}
