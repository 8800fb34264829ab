import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@rgb/kit';

/** Where one instance behind a balancer listens. */
export interface Backend {
  host: string;
  port: number;
}

export interface Balancer {
  /** Stops accepting connections and ends the ones it carries. */
  close(): Promise<void>;
}

/**
 * A round-robin TCP balancer, as a Kubernetes Service's kube-proxy spreads connections: each new
 * connection goes to the next instance; one that refuses (down, restarting) is skipped for the
 * next, and the client is reset only when every instance refused. Bytes pass both ways untouched
 * (HTTP, keep-alive, websockets), so a connection stays on the instance it was given. Each side
 * may half-close (FIN) and still read the other's answer, as through kube-proxy.
 */
export async function startBalancer(listen: Backend, backends: readonly Backend[], log: Logger): Promise<Balancer> {
  if (backends.length === 0) throw new Error('a balancer needs at least one backend');
  let next = 0;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };

  /** Connects to the next instance that accepts, trying each once; null when none does. */
  const connectNext = async (): Promise<Socket | null> => {
    for (let tried = 0; tried < backends.length; tried += 1) {
      const backend = backends[next]!;
      next = (next + 1) % backends.length;
      const upstream = await new Promise<Socket | null>((resolve) => {
        // A client that ends its write side after its request still gets the answer: its FIN is passed on, not taken for the end.
        const socket = connect({ port: backend.port, host: backend.host, allowHalfOpen: true });
        socket.once('connect', () => resolve(socket));
        socket.once('error', () => resolve(null));
      });
      if (upstream) return upstream;
    }
    return null;
  };

  const server: Server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, async (client) => {
    track(client);
    // The client may go away while an instance is chosen: its error must not crash the launcher.
    client.on('error', () => client.destroy());
    const upstream = await connectNext();
    if (!upstream) {
      client.resetAndDestroy();
      return;
    }
    track(upstream);
    upstream.on('error', () => client.destroy());
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    // Either side closing or failing ends the other, as a proxied connection does; a FIN alone
    // is passed on by pipe (end()), and the socket closes once both directions have ended.
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listen.host, port: listen.port, exclusive: true }, () => {
      server.off('error', reject);
      // An accept that fails later (EMFILE, out of file descriptors) must not crash the launcher: the server keeps listening.
      server.on('error', (error) => log.error({ err: error, listen }, 'balancer: accepting a connection failed'));
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const socket of open) socket.destroy();
      }),
  };
}
