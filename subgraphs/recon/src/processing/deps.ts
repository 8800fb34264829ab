import type { PrismaClient } from '@rgb/db';
import type { Logger, ServiceClient } from '@rgb/kit';

/** What recon's decisions need, in recon_worker and in the staff's requests alike. */
export interface ReconDeps {
  prisma: PrismaClient;
  /** The wallet: the pending deposit requests a text may pay, and their approval. */
  wallet: ServiceClient;
  log: Logger;
  /** The wait before the first retry of an approval the wallet did not answer, doubling up to a minute (1 s by default). */
  retryMs?: number;
}
