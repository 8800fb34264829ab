import { createServer } from 'node:net';

export class PortsUnavailableError extends Error {
  override readonly name = 'PortsUnavailableError';
}

/** A port the platform is about to listen on, by its name in PlatformOptions.ports. */
export interface PortNeed {
  name: string;
  host: string;
  port: number;
}

/**
 * Fails with one message naming every port the platform cannot listen on (another process holds
 * it: most often a platform already running) or that two of its listeners were given; binds
 * each for a moment and closes it again, so nothing has started when it fails.
 */
export async function checkPortsFree(needs: readonly PortNeed[]): Promise<void> {
  const problems: string[] = [];
  const byPort = new Map<number, PortNeed[]>();
  for (const need of needs.filter(({ port }) => port !== 0)) byPort.set(need.port, [...(byPort.get(need.port) ?? []), need]);
  for (const [port, sharing] of byPort) {
    if (sharing.length > 1) problems.push(`port ${port} is given to ${sharing.map(({ name }) => name).join(' and ')}`);
  }
  const refusals = await Promise.all(
    [...byPort.values()].map(async ([need]) => ({ need: need!, refusal: await bindRefusal(need!.host, need!.port) })),
  );
  const inUse = refusals.filter(({ refusal }) => refusal === 'EADDRINUSE').map(({ need }) => need);
  if (inUse.length > 0) {
    problems.unshift(
      `${inUse.map(({ name, host, port }) => `${host}:${port} (${name})`).join(', ')} ${inUse.length === 1 ? 'is' : 'are'} in use: is the platform already running? Stop it, or free ${inUse.length === 1 ? 'that port' : 'those ports'}`,
    );
  }
  for (const { need, refusal } of refusals) {
    if (refusal && refusal !== 'EADDRINUSE') problems.push(`cannot listen on ${need.host}:${need.port} (${need.name}): ${refusal}`);
  }
  if (problems.length > 0) throw new PortsUnavailableError(`The platform cannot start: ${problems.join('; ')}`);
}

/** Why `host:port` cannot be listened on (EADDRINUSE, EACCES...), or null when it can. */
function bindRefusal(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
