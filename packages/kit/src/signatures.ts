import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Header with which the router proves a request it passed on raw (a provider callback, a
 * bank-text webhook) came through it: a service token of the router.
 */
export const ROUTER_PROOF_HEADER = 'x-rgb-router';

/** HMAC-SHA256 of the raw body, hex: what a provider or a phone's forwarder puts in X-Signature. */
export function sign(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Constant-time check of X-Signature against the raw bytes received (never a re-serialised body). */
export function signatureMatches(rawBody: Buffer, secret: string, given: string | undefined): boolean {
  if (!given || !/^[0-9a-fA-F]{64}$/.test(given)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
