import { readFileSync } from 'node:fs';
import { type Agent, request as httpRequest } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { platformPorts } from '@rgb/platform';

export interface HttpResult {
  status: number;
  text: string;
}

/** node:http rather than fetch: fetch does not let a client choose the Host header, and brands hang on it. */
export function send(url: string, method: string, headers: Record<string, string>, body?: string | Buffer, agent?: Agent): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The first port the kernel hands out on its own (to `listen(0)` and to every outgoing connection). */
const EPHEMERAL_START = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
const LOWEST_PORT = 15_000;

/** Listens on `port` if it is free (null if it is not). */
function hold(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/**
 * `count` distinct free ports: each stays held until all are found, so none comes twice. They are
 * drawn below the kernel's ephemeral range, where no outgoing connection (to PostgreSQL, Redis, a
 * subgraph) can take one between this check and the service listening on it.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  while (held.length < count) {
    const server = await hold(LOWEST_PORT + Math.floor(Math.random() * (EPHEMERAL_START - LOWEST_PORT)));
    if (server) held.push(server);
  }
  const ports = held.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Free ports for every listener of the platform with `replicas` instances of each process, by their names in PlatformOptions.ports. */
export async function freePlatformPorts(replicas = 1): Promise<Record<string, number>> {
  const names = Object.keys(platformPorts(replicas));
  const ports = await freePorts(names.length);
  return Object.fromEntries(names.map((name, index) => [name, ports[index]!]));
}
