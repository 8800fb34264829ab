import type { Socket } from 'node:net';

/** Where a client's results go. */
export interface ClientStream {
  /** The client's graphql-ws socket (ws's `WebSocket`), which results are sent on. */
  socket: { readonly readyState: number; send(data: string): void };
  /**
   * Its TCP connection (the upgrade request's socket, which the websocket writes to): true
   * `writableNeedDrain` says it holds more than its high-water mark (64 KiB) the kernel has not
   * taken yet, that is, that the client is not reading as fast as it is sent; 'drain', that it
   * caught up.
   */
  transport: { readonly writableNeedDrain: boolean; once(event: 'drain', listener: () => void): unknown };
  /** The id the client subscribed with. */
  id: string;
}

/** ws's `WebSocket.OPEN`. */
const OPEN = 1;

/**
 * A connection's backpressure as its subscriptions watch it: one 'drain' listener on the socket
 * however many of them wait for it (a listener each would pile up on a connection with many).
 */
export function connectionTransport(socket: Socket): ClientStream['transport'] {
  const waiting = new Set<() => void>();
  const drained = () => {
    const listeners = [...waiting];
    waiting.clear();
    for (const listener of listeners) listener();
  };
  return {
    get writableNeedDrain() {
      return socket.writableNeedDrain;
    },
    once(_event, listener) {
      if (waiting.size === 0) socket.once('drain', drained);
      waiting.add(listener);
    },
  };
}

/**
 * One client's subscription. Each result comes serialized once for every client of the shared
 * execution and is written to the client's socket at once, as the graphql-ws `next` message of
 * the client's id (spliced in), with no promise, callback or iterator step per client. A client
 * whose connection is past its high-water mark is slow: it keeps only the latest result, sent
 * when the connection drains (each result is a fresh snapshot, so a slow client costs one waiting
 * result and holds up nobody).
 *
 * To graphql-ws it is the subscription's iterator: one that yields nothing (results bypass it) and
 * ends when the subscription does, whereupon graphql-ws completes it; its `return()` (the client
 * completes, the socket closes) leaves.
 */
export class LiveClient implements AsyncIterableIterator<never> {
  /** Results replaced by a later one while the client was slow. */
  dropped = 0;
  private readonly prefix: string;
  /** The latest result, waiting for a slow client's connection to drain. */
  private held: string | null = null;
  private ended = false;
  private waitingForEnd: ((result: IteratorResult<never>) => void) | null = null;

  /** `onEnd` runs once, when the subscription ends from either side. */
  constructor(
    private readonly stream: ClientStream,
    private readonly onEnd: () => void,
  ) {
    this.prefix = `{"id":${JSON.stringify(stream.id)},"type":"next","payload":`;
  }

  /** A result, as the JSON text of its payload. */
  deliver(payload: string): void {
    if (this.ended) return;
    if (this.stream.transport.writableNeedDrain) {
      if (this.held !== null) this.dropped++;
      else this.stream.transport.once('drain', this.drained);
      this.held = payload;
      return;
    }
    this.write(payload);
  }

  /** Ends the subscription after `last` (an error that ends it), or else the result held for a slow client. */
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
    socket.send(`${this.prefix}${payload}}`);
  }

  private readonly drained = (): void => {
    const held = this.held;
    this.held = null;
    if (held !== null && !this.ended) this.deliver(held);
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
