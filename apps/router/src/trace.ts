import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$/;

/** W3C trace context for the subgraph calls: continue the caller's trace, or start one. */
export function childTraceparent(incoming: string | undefined): string {
  const match = incoming ? TRACEPARENT.exec(incoming) : null;
  const traceId = match?.[1] ?? randomBytes(16).toString('hex');
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${match?.[2] ?? '01'}`;
}
