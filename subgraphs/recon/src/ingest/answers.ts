import { timingSafeEqual } from 'node:crypto';
import { describeIssues } from '@rgb/contracts';
import type { z } from 'zod';

/** The codes of the webhooks' refusals, each with its status. */
const STATUS = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  INTERNAL_SERVER_ERROR: 500,
} as const;
export type WebhookRefusalCode = keyof typeof STATUS;

/** What a webhook answers: its status and JSON body. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
  /** How metrics and logs name it: `accepted`, `duplicate`, `ignored`, or the refusal's code. */
  outcome: string;
}

/** A refusal, `{"error":{"code","message"}}` as every platform API refuses. */
export function refusal(code: WebhookRefusalCode, message: string): WebhookAnswer {
  return { status: STATUS[code], body: { error: { code, message } }, outcome: code };
}

/** Thrown while reading a body, answered as its refusal. */
export class Refused extends Error {
  constructor(readonly answer: WebhookAnswer) {
    super(String((answer.body.error as { message: string }).message));
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body read with `schema`: valid UTF-8 JSON (never a text with bytes replaced), fields named in the refusal. */
export function readJson<T extends z.ZodType>(bytes: Buffer, schema: T): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch {
    throw new Refused(refusal('BAD_USER_INPUT', 'the body is not UTF-8 JSON'));
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Refused(refusal('BAD_USER_INPUT', describeIssues(parsed.error)));
  return parsed.data;
}

/** Constant-time comparison of two secrets' bytes (a length that differs says only that). */
export function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
