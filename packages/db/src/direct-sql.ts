import { createHash } from 'node:crypto';
import pg from 'pg';

/** A SQL text with the name each connection prepares it under (a hash of the text). */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** The statement name of a text: one name never means two texts. */
export function statementName(text: string): string {
  return `rgb_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}

export function statement(text: string): Statement {
  return { name: statementName(text), text };
}

/**
 * Statements on the connection pool a Prisma client runs on, past Prisma's raw-query path: for
 * the few statements every provider callback runs, where that path cost about 80 µs of CPU per
 * statement more than node-postgres itself (`npm run bench:db`). Values and rows are
 * node-postgres's (bigint columns come back as decimal strings); a failed statement throws
 * node-postgres's DatabaseError, which `uniqueViolation` reads too. Transactions and everything
 * else stay on Prisma.
 */
export interface DirectSql {
  rows<Row>(statement: Statement, values: readonly unknown[]): Promise<Row[]>;
  /** The number of rows the statement wrote. */
  count(statement: Statement, values: readonly unknown[]): Promise<number>;
}

export function directSqlOn(pool: pg.Pool, prepare: boolean, connect: () => Promise<void>): DirectSql {
  const config = (statement: Statement, values: readonly unknown[]) => ({
    // Unnamed when connections may not keep statements (a pooler in transaction mode).
    ...(prepare ? { name: statement.name } : {}),
    text: statement.text,
    values: values as unknown[],
  });
  return {
    async rows<Row>(statement: Statement, values: readonly unknown[]) {
      await connect();
      return (await pool.query(config(statement, values))).rows as Row[];
    },
    async count(statement: Statement, values: readonly unknown[]) {
      await connect();
      return (await pool.query(config(statement, values))).rowCount ?? 0;
    },
  };
}
