import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@rgb/kit/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Crash, type RestartPolicy, SupervisedProcess } from '../src/supervisor';

/**
 * A tiny service: answers /health with its pid on PORT; exits 7 at start while FAIL_FILE
 * exists, and stays up without listening while HOLD_FILE exists.
 */
const SERVICE = `
const fs = require('node:fs');
if (fs.existsSync(process.env.FAIL_FILE)) { console.error('cannot start: asked to fail'); process.exit(7); }
process.on('SIGTERM', () => process.exit(0));
if (fs.existsSync(process.env.HOLD_FILE)) setInterval(() => {}, 1000);
else require('node:http').createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end(String(process.pid)))
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

const directory = mkdtempSync(path.join(tmpdir(), 'supervisor-test-'));
const failFile = path.join(directory, 'fail');
const holdFile = path.join(directory, 'hold');
const supervised: SupervisedProcess[] = [];

afterEach(async () => {
  await Promise.all(supervised.splice(0).map((process) => process.stop()));
  rmSync(failFile, { force: true });
  rmSync(holdFile, { force: true });
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));


async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Observed {
  service: SupervisedProcess;
  url: string;
  crashes: (Crash & { at: number })[];
  restarted: { restart: number; at: number }[];
  output: string[];
}

async function supervise(policy: RestartPolicy, startTimeoutMs = 15_000): Promise<Observed> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const observed: Omit<Observed, 'service'> = { url, crashes: [], restarted: [], output: [] };
  const service = new SupervisedProcess(
    {
      name: 'tiny',
      command: process.execPath,
      args: ['-e', SERVICE],
      cwd: directory,
      env: { PORT: String(port), FAIL_FILE: failFile, HOLD_FILE: holdFile },
      healthUrl: `${url}/health`,
    },
    {
      onOutput: (_service, line) => observed.output.push(line),
      onCrash: (crash) => observed.crashes.push({ ...crash, at: Date.now() }),
      onRestart: (_service, restart) => observed.restarted.push({ restart, at: Date.now() }),
    },
    policy,
    startTimeoutMs,
  );
  supervised.push(service);
  return { ...observed, service };
}

/** The pid that answers /health, or null while nothing does. */
async function servingPid(url: string): Promise<number | null> {
  try {
    const response = await fetch(`${url}/health`);
    return response.ok ? Number(await response.text()) : null;
  } catch {
    return null;
  }
}

const quick: RestartPolicy = { initialDelayMs: 50, maxDelayMs: 400, resetAfterMs: 60_000 };

describe('a supervised process', () => {
  it('is started again after a SIGKILL, and says so: the crash with its signal and wait, then serving again', async () => {
    const tiny = await supervise(quick);
    await tiny.service.start();
    const first = tiny.service.process.pid!;
    expect(await servingPid(tiny.url)).toBe(first);

    tiny.service.process.kill('SIGKILL');
    await until(() => tiny.restarted.length === 1, 'the restart');
    expect(tiny.crashes).toEqual([{ service: 'tiny', code: null, signal: 'SIGKILL', restart: 1, restartInMs: 50, at: expect.any(Number) }]);
    expect(tiny.restarted[0]!.restart).toBe(1);
    expect(tiny.service.restarts).toBe(1);
    const second = tiny.service.process.pid!;
    expect(second).not.toBe(first);
    expect(await servingPid(tiny.url)).toBe(second);
    expect(tiny.output.filter((line) => line === 'listening')).toHaveLength(2);
  });

  it('reports an exit code, and keeps retrying one that cannot come back with doubling waits up to the cap, never faster', async () => {
    const tiny = await supervise(quick);
    await tiny.service.start();
    writeFileSync(failFile, '');
    tiny.service.process.kill('SIGKILL');
    await until(() => tiny.crashes.length >= 6, 'six crashes');
    expect(tiny.crashes[0]).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(tiny.crashes.slice(1).map(({ code, signal }) => ({ code, signal }))).toEqual(Array(tiny.crashes.length - 1).fill({ code: 7, signal: null }));
    expect(tiny.crashes.slice(0, 6).map(({ restart, restartInMs }) => [restart, restartInMs])).toEqual([
      [1, 50],
      [2, 100],
      [3, 200],
      [4, 400],
      [5, 400],
      [6, 400],
    ]);
    // Each crash came after the wait announced by the one before: no restart storm.
    for (let i = 1; i < tiny.crashes.length; i++) {
      expect(tiny.crashes[i]!.at - tiny.crashes[i - 1]!.at).toBeGreaterThanOrEqual(tiny.crashes[i - 1]!.restartInMs);
    }
    expect(tiny.restarted).toEqual([]);

    rmSync(failFile);
    await until(() => tiny.restarted.length === 1, 'the recovery');
    const crashes = tiny.crashes.length;
    expect(tiny.restarted[0]!.restart).toBe(crashes);
    expect(tiny.service.restarts).toBe(crashes);
    expect(await servingPid(tiny.url)).toBe(tiny.service.process.pid);
  });

  it('waits the shortest time again once it has stayed serving for resetAfterMs', async () => {
    // Long enough that the second kill comes well before it, even on a busy machine.
    const tiny = await supervise({ initialDelayMs: 50, maxDelayMs: 5_000, resetAfterMs: 2_000 });
    await tiny.service.start();
    tiny.service.process.kill('SIGKILL');
    await until(() => tiny.restarted.length === 1, 'the first restart');
    tiny.service.process.kill('SIGKILL');
    await until(() => tiny.restarted.length === 2, 'the second restart');
    expect(tiny.crashes.map(({ restartInMs }) => restartInMs)).toEqual([50, 100]);

    await until(() => Date.now() - tiny.restarted[1]!.at > 2_100, 'resetAfterMs of serving');
    tiny.service.process.kill('SIGKILL');
    await until(() => tiny.restarted.length === 3, 'the third restart');
    expect(tiny.crashes.map(({ restartInMs }) => restartInMs)).toEqual([50, 100, 50]);
  });

  it('stops during a backoff, and the restart never comes', async () => {
    // Long enough that stop() comes within the backoff, even on a busy machine.
    const tiny = await supervise({ initialDelayMs: 1_500, maxDelayMs: 1_500, resetAfterMs: 60_000 });
    await tiny.service.start();
    const killed = tiny.service.process;
    killed.kill('SIGKILL');
    await until(() => tiny.crashes.length === 1, 'the crash');
    await tiny.service.stop();
    // Well past the time the restart was due: an absence can only be seen by waiting.
    await until(() => Date.now() - tiny.crashes[0]!.at > 2 * 1_500, 'the time the restart was due');
    expect(tiny.service.process).toBe(killed);
    expect(tiny.output.filter((line) => line === 'listening')).toHaveLength(1);
    expect(tiny.restarted).toEqual([]);
    expect(await servingPid(tiny.url)).toBeNull();
  });

  it('stops the process of a restart that is not serving yet, and reports no recovery', async () => {
    const tiny = await supervise(quick);
    await tiny.service.start();
    const killed = tiny.service.process;
    writeFileSync(holdFile, '');
    killed.kill('SIGKILL');
    await until(() => tiny.service.process !== killed, 'the restarted process');
    const restarted = tiny.service.process;
    await tiny.service.stop();
    // Stopped by its SIGTERM: its handler exits 0, or it was killed before installing one.
    expect([{ code: 0, signal: null }, { code: null, signal: 'SIGTERM' }]).toContainEqual({ code: restarted.exitCode, signal: restarted.signalCode });
    expect(tiny.restarted).toEqual([]);
    rmSync(holdFile);
    expect(await servingPid(tiny.url)).toBeNull();
  });

  it('fails its start fast, with its output, when it exits before serving, and is not restarted', async () => {
    writeFileSync(failFile, '');
    const tiny = await supervise(quick);
    await expect(tiny.service.start()).rejects.toThrow(/^tiny exited with code 7 during start:\ncannot start: asked to fail$/);
    expect(tiny.crashes).toEqual([]);
    expect(tiny.service.restarts).toBe(0);
  });

  it('fails its start when it is not serving in time', async () => {
    writeFileSync(holdFile, '');
    const tiny = await supervise(quick, 1_000);
    await expect(tiny.service.start()).rejects.toThrow(/^tiny: http:\/\/127\.0\.0\.1:\d+\/health not healthy within 1000 ms: /);
  });
});
