import { type Agent, request as httpRequest } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { DEFAULT_PORTS } from '@rgb/platform';

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

/** `count` distinct free ports: each stays held until all are found, so none comes twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
          server.on('error', reject);
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Free ports for every listener of the platform, by their names in PlatformOptions.ports. */
export async function freePlatformPorts(): Promise<Record<string, number>> {
  const names = Object.keys(DEFAULT_PORTS);
  const ports = await freePorts(names.length);
  return Object.fromEntries(names.map((name, index) => [name, ports[index]!]));
}
