import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorker, Metrics, type ScheduledJob, type TickResult, type Worker, type WorkerLoop, type WorkerOptions } from '@rgb/kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { log, setupDatabase, sleep, type TestDb, waitFor } from './helpers';

let dir: string;
// Where jobs are claimed (each test's jobs have names of their own).
let t: TestDb;
const running: Worker[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'worker-test-'));
  t = await setupDatabase();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((worker) => worker.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await t?.close();
});

function start(options: Partial<WorkerOptions> & Pick<WorkerOptions, 'loops'>): Worker {
  const worker = createWorker({
    name: 'test_worker',
    log,
    metrics: new Metrics('worker-test'),
    stallAfterMs: 60_000,
    failureGraceMs: 60_000,
    prisma: t.prisma,
    jobPollMs: 20,
    ...options,
  });
  running.push(worker);
  worker.start();
  return worker;
}

const health = async (worker: Worker) => {
  const response = await worker.app.inject({ url: '/health' });
  return { status: response.statusCode, body: response.json() as { status: string; reason?: string } };
};
const heartbeat = async (file: string) => JSON.parse(await readFile(file, 'utf8')) as { status: string; problems: string[] };

function loop(name: string, tick: () => Promise<TickResult>, idleDelayMs = 10): WorkerLoop {
  return { name, tick, idleDelayMs };
}

describe('a loop that keeps failing', () => {
  it('is unhealthy only after failureGraceMs, names its error, and recovers by itself', async () => {
    let failing = true;
    let firstFailureAt = 0;
    const worker = start({
      failureGraceMs: 500,
      loops: [
        loop('flaky', async () => {
          if (failing) {
            firstFailureAt ||= Date.now();
            throw new Error('database down');
          }
          return { worked: 0, pending: false };
        }),
      ],
    });
    await sleep(200);
    expect(firstFailureAt).toBeGreaterThan(0);
    expect(worker.problems()).toEqual([]);
    expect((await health(worker)).status).toBe(200);

    const [problem] = await waitFor('unhealthy', () => worker.problems()[0] && worker.problems());
    expect(Date.now() - firstFailureAt).toBeGreaterThanOrEqual(500);
    expect(problem).toMatch(/^flaky: failing for \d+ s: database down$/);
    const unhealthy = await health(worker);
    expect(unhealthy.status).toBe(503);
    expect(unhealthy.body.reason).toContain('flaky: failing for');

    failing = false;
    await waitFor('recovered', () => worker.problems().length === 0, 8_000);
    expect((await health(worker)).status).toBe(200);
  });
});

describe('a loop with work waiting and no progress', () => {
  it('turns unhealthy after stallAfterMs, says so in the heartbeat file, and recovers when work moves', async () => {
    const file = join(dir, 'stall.json');
    let progressing = false;
    const worker = start({
      stallAfterMs: 500,
      heartbeatFile: file,
      heartbeatIntervalMs: 50,
      loops: [
        loop('stuck', async () => {
          await sleep(5);
          return progressing ? { worked: 1, pending: false } : { worked: 0, pending: true };
        }),
      ],
    });
    const startedAt = Date.now();
    await sleep(200);
    expect(worker.problems()).toEqual([]);
    expect(await heartbeat(file)).toMatchObject({ status: 'ok', problems: [] });

    await waitFor('stalled', () => worker.problems().length > 0);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
    expect(worker.problems()).toEqual([expect.stringMatching(/^stuck: no progress for \d+ s with work waiting$/)]);
    const beat = await waitFor('an unhealthy heartbeat', async () => {
      const read = await heartbeat(file);
      return read.status === 'unhealthy' && read;
    });
    expect(beat.problems).toEqual(worker.problems());
    expect((await health(worker)).status).toBe(503);

    progressing = true;
    await waitFor('recovered', () => worker.problems().length === 0);
    await waitFor('an ok heartbeat', async () => (await heartbeat(file)).status === 'ok');
    expect((await health(worker)).status).toBe(200);
  });

  it('is unhealthy while one turn runs longer than stallAfterMs', async () => {
    let release = () => {};
    let turns = 0;
    const hung = (): Promise<TickResult> =>
      ++turns === 1
        ? new Promise((resolve) => (release = () => resolve({ worked: 1, pending: false })))
        : sleep(5).then(() => ({ worked: 0, pending: false }));
    const worker = start({ stallAfterMs: 400, loops: [loop('hung', hung)] });
    await sleep(150);
    expect(worker.problems()).toEqual([]);
    await waitFor('hung', () => worker.problems().length > 0);
    expect(worker.problems()).toEqual([expect.stringMatching(/^hung: one turn has run for \d+ s$/)]);
    release();
    await waitFor('recovered', () => worker.problems().length === 0);
  });
});

describe('the heartbeat file', () => {
  it('is never seen half-written by a supervisor reading it', async () => {
    const file = join(dir, 'torn.json');
    start({ heartbeatFile: file, heartbeatIntervalMs: 1, loops: [loop('idle', async () => ({ worked: 0, pending: false }))] });
    await waitFor('a first heartbeat', () => readFile(file, 'utf8').then(() => true, () => false));
    const torn: string[] = [];
    for (let read = 0; read < 500; read++) {
      const text = await readFile(file, 'utf8');
      try {
        expect(JSON.parse(text)).toMatchObject({ status: 'ok' });
      } catch {
        torn.push(text);
      }
    }
    expect(torn).toEqual([]);
  });
});

describe('scheduled jobs', () => {
  it('reports a job that misses its window, in health and the heartbeat file, until it succeeds', async () => {
    const file = join(dir, 'jobs.json');
    let hanging = true;
    let release = () => {};
    const nightly: ScheduledJob = {
      name: 'nightly',
      intervalMs: 200,
      run: () => (hanging ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()),
    };
    const worker = start({ failureGraceMs: 300, heartbeatFile: file, heartbeatIntervalMs: 50, loops: [], jobs: [nightly] });
    const startedAt = Date.now();
    await sleep(150);
    expect(worker.problems()).toEqual([]);

    await waitFor('missed window', () => worker.problems().length > 0);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
    expect(worker.problems()).toEqual([expect.stringMatching(/^nightly: missed its window \(last success never\)$/)]);
    expect((await health(worker)).body.reason).toContain('nightly: missed its window');
    await waitFor('an unhealthy heartbeat', async () => (await heartbeat(file)).status === 'unhealthy');

    hanging = false;
    release();
    await waitFor('recovered', () => worker.problems().length === 0);
    await waitFor('an ok heartbeat', async () => (await heartbeat(file)).status === 'ok');
  });

  it('reports a job whose last run failed, with its error, until a run succeeds', async () => {
    let failing = true;
    const worker = start({
      loops: [],
      jobs: [
        {
          name: 'report',
          intervalMs: 300,
          run: async () => {
            if (failing) throw new Error('smtp refused');
          },
        },
      ],
    });
    await waitFor('a failed run', () => worker.problems().length > 0);
    expect(worker.problems()).toEqual(['report: last run failed: smtp refused']);
    failing = false;
    await waitFor('a good run, and recovered', () => worker.problems().length === 0, 5_000);
  });
});

describe('stop()', () => {
  it('waits for the turn and the job in hand to finish, then starts no more, however long the idle delay', async () => {
    let turns = 0;
    let finishTurn = () => {};
    let turnFinished = false;
    let finishJob = () => {};
    let jobStarted = false;
    let jobFinished = false;
    const worker = start({
      loops: [
        loop(
          'slow',
          async () => {
            turns++;
            await new Promise<void>((resolve) => (finishTurn = resolve));
            turnFinished = true;
            return { worked: 0, pending: false };
          },
          10_000,
        ),
      ],
      jobs: [
        {
          name: 'cleanup',
          intervalMs: 60_000,
          run: async () => {
            jobStarted = true;
            await new Promise<void>((resolve) => (finishJob = resolve));
            jobFinished = true;
          },
        },
      ],
    });
    await waitFor('a turn and a job in hand', () => turns === 1 && jobStarted);
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await sleep(200);
    expect(stopped).toBe(false);

    finishTurn();
    await sleep(100);
    expect(stopped).toBe(false);
    finishJob();
    const finishedAt = Date.now();
    await stopping;
    // Once the work in hand is done it stops at once: not after the loop's 10 s idle delay.
    expect(Date.now() - finishedAt).toBeLessThan(1_000);
    expect(turnFinished && jobFinished).toBe(true);
    await sleep(100);
    expect(turns).toBe(1);
  });

  it('idle turns leave no listener behind (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => void (warning.name === 'MaxListenersExceededWarning' && warnings.push(warning.message));
    process.on('warning', onWarning);
    try {
      let turns = 0;
      const idle = async (): Promise<TickResult> => {
        turns++;
        return { worked: 0, pending: false };
      };
      start({ loops: [loop('idle', idle, 1)] });
      await waitFor('50 idle turns', () => turns >= 50);
      await sleep(50);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('a loop with lingerMs', () => {
  it('pauses that long after a turn that caught up, and not at all while work is still waiting', async () => {
    const turns: { at: number; pending: boolean }[] = [];
    let backlog = 5;
    start({
      loops: [
        {
          name: 'batcher',
          lingerMs: 200,
          idleDelayMs: 10,
          tick: async () => {
            const pending = backlog > 0;
            backlog = Math.max(0, backlog - 1);
            turns.push({ at: Date.now(), pending });
            return { worked: 1, pending };
          },
        },
      ],
    });
    await sleep(1_100);
    // Five turns at once while work waited, then one turn per linger: about five more in the second.
    const caughtUp = turns.filter((turn) => !turn.pending);
    expect(turns.filter((turn) => turn.pending)).toHaveLength(5);
    expect(caughtUp.length).toBeGreaterThanOrEqual(2);
    expect(caughtUp.length).toBeLessThanOrEqual(6);
    for (let i = 1; i < caughtUp.length; i++) expect(caughtUp[i]!.at - caughtUp[i - 1]!.at).toBeGreaterThanOrEqual(190);
  });
});

describe('a loop with a wakeChannel', () => {
  it('ends its idle sleep when rung, takes the turn again at once when rung during a turn, and is not woken by another channel', async () => {
    const turns: number[] = [];
    let ringDuringTurn = false;
    const worker: Worker = start({
      loops: [
        {
          name: 'doorbelled',
          idleDelayMs: 10_000,
          wakeChannel: 'test:work-for-doorbelled',
          tick: async () => {
            turns.push(Date.now());
            if (ringDuringTurn) {
              ringDuringTurn = false;
              // The work came after this turn looked: the next turn must not wait for the poll.
              worker.wake('test:work-for-doorbelled');
            }
            return { worked: 0, pending: false };
          },
        },
      ],
    });
    await waitFor('the first turn', () => turns.length === 1);
    worker.wake('test:work-for-someone-else');
    await sleep(200);
    expect(turns).toHaveLength(1);

    const rungAt = Date.now();
    worker.wake('test:work-for-doorbelled');
    await waitFor('a turn after the ring', () => turns.length === 2, 1_000);
    expect(turns[1]! - rungAt).toBeLessThan(100);

    ringDuringTurn = true;
    worker.wake('test:work-for-doorbelled');
    await waitFor('the turn rung during its run, and one more', () => turns.length === 4, 1_000);
    await sleep(200);
    // Then the idle poll again: no further turn.
    expect(turns).toHaveLength(4);
  });
});
