import { type Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';

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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
