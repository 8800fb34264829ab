import type { Logger } from 'pino';
import { stopTracing } from './tracing';

/**
 * Runs `close` once on SIGINT or SIGTERM, then stops tracing and exits. A second signal, or a close that
 * takes longer than `timeoutMs`, exits at once with a failure code. A process started by the
 * local launcher (RGB_SUPERVISED=1) also closes when the launcher's stdin pipe closes, so a
 * launcher killed outright leaves no orphans.
 */
export function closeOnSignal(log: Logger, close: () => Promise<void>, timeoutMs = 15_000): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals | 'parent-exit') => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, timeoutMs).unref();
    // Spans still buffered are exported once everything they describe has closed.
    close().then(stopTracing).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (process.env.RGB_SUPERVISED === '1') {
    process.stdin.on('close', () => {
      if (!closing) onSignal('parent-exit');
    });
    process.stdin.resume();
  }
}
