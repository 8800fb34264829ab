import type { GraphQLRequestContextDidEncounterErrors } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { errorReportingPlugin } from '../src/graphql-errors';
import { Metrics } from '../src/metrics';

/** Runs the plugin over `errors` as Apollo would at the end of a request; returns what it logged and counted. */
async function report(errors: Error[]) {
  const metrics = new Metrics('test');
  const logged: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const listener = await errorReportingPlugin(metrics).requestDidStart!({} as never);
  await listener!.didEncounterErrors!({ errors, contextValue: { log } } as unknown as GraphQLRequestContextDidEncounterErrors<{ log: typeof log }>);
  return { logged, counted: await metrics.registry.getSingleMetricAsString('graphql_errors_total') };
}

describe('errorReportingPlugin', () => {
  // The gateway passes on what a failed subgraph fetch threw, which is no GraphQLError.
  it('logs and counts an error that is not a GraphQLError, instead of failing the request', async () => {
    const { logged, counted } = await report([new Error('connect ECONNREFUSED 127.0.0.1:8011')]);
    expect(logged).toEqual([expect.objectContaining({ msg: 'unexpected GraphQL error', err: expect.objectContaining({ message: 'connect ECONNREFUSED 127.0.0.1:8011' }) })]);
    expect(counted).toMatch(/graphql_errors_total\{code="INTERNAL_SERVER_ERROR",service="test"\} 1/);
  });

  it('counts an expected error by its code without logging it', async () => {
    const { logged, counted } = await report([new GraphQLError('no such deposit', { extensions: { code: 'NOT_FOUND' } })]);
    expect(logged).toEqual([]);
    expect(counted).toMatch(/graphql_errors_total\{code="NOT_FOUND",service="test"\} 1/);
  });
});
