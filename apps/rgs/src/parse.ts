import { describeIssues } from '@rgb/contracts';
import type { z } from 'zod';
import { invalidRequest } from './errors';

/** The request's JSON as `schema` reads it, or INVALID_REQUEST naming every problem. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw invalidRequest(describeIssues(parsed.error));
  return parsed.data;
}
