/**
 * What the ingest tests share: the recon subgraph with its webhook listener on a seeded database
 * of its own, devices registered as staff register them, and the router's proof.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { BrandRef } from '@rgb/kit';
import { type SeededTestSubgraph, startSeededTestSubgraph } from '@rgb/kit/testing';
import { reconLocalDefaults } from '../src/config';
import { loadReconConfig, reconSubgraph } from '../src/index';

export const SMS_SECRET = reconLocalDefaults.RECON_SMS_SECRET;
export const TELEGRAM_SECRET = reconLocalDefaults.RECON_TELEGRAM_SECRET;

export interface ReconIngest {
  recon: SeededTestSubgraph;
  /** The webhook listener, as the router reaches it. */
  webhookUrl: string;
  /** A registered device of `brand` (active unless told), with a fresh id unless given. */
  device(brand: BrandRef, options?: { id?: string; active?: boolean }): Promise<string>;
  /** Headers of a request that came through the router (its proof). */
  routerHeaders(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startReconIngest(env: NodeJS.ProcessEnv = {}): Promise<ReconIngest> {
  const config = loadReconConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', WEBHOOK_PORT: '0', ...env });
  const recon = await startSeededTestSubgraph(reconSubgraph(config), { env });
  const webhookUrl = recon.listenerUrls.webhook;
  if (!webhookUrl) throw new Error('the webhook listener did not start');
  return {
    recon,
    webhookUrl,
    async device(brand, { id = `phone-${randomUUID().slice(0, 8)}`, active = true } = {}) {
      await recon.deps.prisma.reconDevice.create({ data: { id, brandId: brand.id, label: `test ${id}`, active } });
      return id;
    },
    async routerHeaders() {
      return { 'x-rgb-router': await recon.deps.serviceTokens.signService('router') };
    },
    close: () => recon.close(),
  };
}

/** X-Signature of `body` as a forwarding phone computes it. */
export const smsSignature = (body: string | Buffer, secret = SMS_SECRET) => createHmac('sha256', secret).update(body).digest('hex');
