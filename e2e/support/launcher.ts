import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { type PlatformMode, SERVICES } from '@rgb/platform';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LaunchOptions {
  mode: PlatformMode;
  /** `typescript`: as npm start runs it (tsx, the tracing register first); `compiled`: `node apps/platform/dist/index.js` the same way (npm run build first). */
  build: 'typescript' | 'compiled';
  /** Every port by its name in DEFAULT_PORTS (PLATFORM_PORTS). */
  ports: Record<string, number>;
  env: Record<string, string>;
}

export interface LaunchedPlatform {
  child: ChildProcess;
  /** Every line it printed on stdout and stderr, in order. */
  output: string[];
  /** Resolves once every service answers /health 200 and the launcher says it runs, with the milliseconds since the spawn. */
  serving(timeoutMs: number): Promise<number>;
  /** Resolves with its exit code once it exited. */
  exited: Promise<number | null>;
  /** Sends `signal` and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The launcher as `npm start` runs it, in its own process, on the given ports. */
export function launchPlatform({ mode, build, ports, env }: LaunchOptions): LaunchedPlatform {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PLATFORM_MODE: mode, PLATFORM_PORTS: JSON.stringify(ports) };
  // Nothing loads TypeScript in a compiled run, not even through the environment.
  delete childEnv.NODE_OPTIONS;
  const args =
    build === 'compiled'
      ? ['--import', './packages/kit/dist/tracing-register.js', 'apps/platform/dist/index.js']
      : ['--import', 'tsx', '--import', '@rgb/kit/tracing-register', 'apps/platform/src/index.ts'];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop() ?? '';
      output.push(...lines);
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const healthy = async (name: string) => {
    try {
      return (await fetch(`http://127.0.0.1:${ports[name]}/health`, { signal: AbortSignal.timeout(1_000) })).ok;
    } catch {
      return false;
    }
  };
  return {
    child,
    output,
    exited,
    async serving(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      let waiting = SERVICES.map((spec) => spec.name);
      const running = () => output.some((line) => line.startsWith('The platform is running'));
      while (waiting.length > 0 || !running()) {
        if (child.exitCode !== null) throw new Error(`the launcher exited with code ${child.exitCode}:\n${output.slice(-30).join('\n')}`);
        if (performance.now() > deadline) throw new Error(`not serving within ${timeoutMs} ms: ${waiting.join(', ')}\n${output.slice(-30).join('\n')}`);
        const answers = await Promise.all(waiting.map(async (name) => ({ name, ok: await healthy(name) })));
        waiting = answers.filter(({ ok }) => !ok).map(({ name }) => name);
        if (waiting.length > 0 || !running()) await sleep(50);
      }
      return performance.now() - spawnedAt;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
