import { connect, createServer, type Server, type Socket } from 'node:net';
import { createLogger } from '@rgb/kit';
import { freePort } from '@rgb/kit/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Balancer, startBalancer } from '../src/balancer';

const HOST = '127.0.0.1';
const open: (Server | Balancer)[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((closable) => ('address' in closable ? new Promise((resolve) => closable.close(resolve)) : closable.close())));
});

/** An instance that answers each line with `<name>:<line>`, and counts the connections it took. */
async function echoInstance(name: string): Promise<{ port: number; connections: () => number; server: Server }> {
  const port = await freePort();
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setEncoding('utf8').on('data', (text: string) => socket.write(`${name}:${text}`));
  });
  await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
  // Its own connections end with it, so closing it in a test is a whole instance going away.
  const close = server.close.bind(server);
  server.close = (callback) => {
    for (const socket of sockets) socket.destroy();
    return close(callback);
  };
  open.push(server);
  return { port, connections: () => connections, server };
}

async function balancer(ports: number[]): Promise<number> {
  const port = await freePort();
  open.push(await startBalancer({ host: HOST, port }, ports.map((backend) => ({ host: HOST, port: backend })), createLogger('balancer-test', 'silent')));
  return port;
}

/** One connection: sends `text`, returns the first answer. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST);
    socket.setEncoding('utf8').once('data', (answer: string) => {
      socket.end();
      resolve(answer);
    });
    socket.once('error', reject);
    socket.write(text);
  });
}

describe('round-robin TCP balancer', () => {
  it('spreads connections over every instance in turn, and passes bytes both ways', async () => {
    const a = await echoInstance('a');
    const b = await echoInstance('b');
    const port = await balancer([a.port, b.port]);
    const answers: string[] = [];
    for (let index = 0; index < 6; index += 1) answers.push(await exchange(port, `hello ${index}`));
    expect(answers).toEqual(['a:hello 0', 'b:hello 1', 'a:hello 2', 'b:hello 3', 'a:hello 4', 'b:hello 5']);
    expect([a.connections(), b.connections()]).toEqual([3, 3]);
  });

  it('keeps a connection on the instance it was given', async () => {
    const a = await echoInstance('a');
    const b = await echoInstance('b');
    const port = await balancer([a.port, b.port]);
    const socket = connect(port, HOST).setEncoding('utf8');
    const answers: string[] = [];
    for (const text of ['one', 'two', 'three']) {
      socket.write(text);
      answers.push(await new Promise<string>((resolve) => socket.once('data', resolve)));
    }
    socket.end();
    expect(answers).toEqual(['a:one', 'a:two', 'a:three']);
    expect(b.connections()).toBe(0);
  });

  it('skips an instance that refuses, and resets the client when every one refuses', async () => {
    const a = await echoInstance('a');
    const b = await echoInstance('b');
    const port = await balancer([a.port, b.port]);
    await new Promise((resolve) => b.server.close(resolve));
    const answers = [await exchange(port, 'x'), await exchange(port, 'y'), await exchange(port, 'z')];
    expect(answers).toEqual(['a:x', 'a:y', 'a:z']);
    await new Promise((resolve) => a.server.close(resolve));
    await expect(exchange(port, 'nobody')).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('passes on a client that half-closes after its request, and still gives it the whole answer', async () => {
    // An instance that answers only once the request has ended (its client's FIN), at length, then ends.
    const port = await freePort();
    const answer = 'x'.repeat(1_000_000);
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      let request = '';
      socket.setEncoding('utf8').on('data', (text: string) => (request += text));
      socket.once('end', () => setTimeout(() => socket.end(`${request}:${answer}`), 50));
    });
    await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
    open.push(server);
    const socket = connect({ port: await balancer([port]), host: HOST, allowHalfOpen: true }).setEncoding('utf8');
    let received = '';
    socket.on('data', (text: string) => (received += text));
    const ended = new Promise((resolve, reject) => {
      socket.once('end', resolve);
      socket.once('error', reject);
    });
    socket.end('request');
    await ended;
    expect(received.length).toBe('request:'.length + answer.length);
    expect(received).toBe(`request:${answer}`);
  });

  it('ends the client connection when its instance goes away, and closes with connections open', async () => {
    const a = await echoInstance('a');
    const port = await balancer([a.port]);
    const socket = connect(port, HOST).setEncoding('utf8');
    socket.write('ping');
    expect(await new Promise<string>((resolve) => socket.once('data', resolve))).toBe('a:ping');
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await new Promise((resolve) => a.server.close(resolve));
    await closed;

    const b = await echoInstance('b');
    const second = await balancer([b.port]);
    const held = connect(second, HOST).setEncoding('utf8');
    held.write('ping');
    await new Promise((resolve) => held.once('data', resolve));
    const heldClosed = new Promise((resolve) => held.once('close', resolve));
    await open.pop()!.close();
    await heldClosed;
    await expect(exchange(second, 'after close')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
