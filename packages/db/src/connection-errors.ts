// Apart from client.ts, which needs the generated Prisma client: migrations use these too, and
// `db:generate` runs them before that client exists.
import pg from 'pg';

/**
 * A pg client that always has a listener of its own for 'error'. The pool's and the adapter's
 * listeners leave gaps: a connection handed from the pool to a transaction that is still being
 * opened has none, and when the server's "terminating connection" arrives in the same read as
 * the previous query's result (so at that very moment), an 'error' event without a listener
 * throws and ends the process.
 */
export function errorReportingClient(onError: (error: Error) => void): typeof pg.Client {
  return class ErrorReportingClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(config);
      this.on('error', onError);
    }
  };
}

/** For processes without a logger of their own (scripts, migrations). */
export function reportOnStderr(service: string | undefined): (error: Error) => void {
  return (error) => {
    const { code, message } = error as Error & { code?: string };
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), service, err: { type: error.name, code, message }, msg: 'database connection error' })}\n`,
    );
  };
}
