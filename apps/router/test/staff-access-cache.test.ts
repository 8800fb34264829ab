import { adminSubgraph } from '@rgb/admin';
import { ANY_STAFF, createLogger, STAFF_ACCESS_CHANGED_CHANNEL } from '@rgb/kit';
import { freePort, startSeededTestSubgraph, waitFor, type SeededTestSubgraph } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../packages/events/test/redis-server';
import { EdgeRefusal } from '../src/edge';
import { admitStaffCaller, StaffAccessCache } from '../src/staff-access';

/**
 * The router's cache of staff access against a Redis of the test's own (stopped and started
 * again here): entries live until a notice names their staff member, everyone (`*`), or the
 * subscription is re-established after a Redis loss.
 */
const log = createLogger('staff-access-cache-test', 'silent');
let redisServer: RedisServer;
let admin: SeededTestSubgraph;
let cache: StaffAccessCache;
let publisher: Redis;
let adminId: string;
let superadmin: string;


beforeAll(async () => {
  redisServer = new RedisServer(await freePort());
  await redisServer.start();
  admin = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisServer.url } });
  publisher = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  adminId = (await admin.deps.prisma.staff.findUniqueOrThrow({ where: { username: 'admin' } })).id;
  superadmin = (await admin.deps.prisma.role.findUniqueOrThrow({ where: { name: 'superadmin' } })).id;
});
afterAll(async () => {
  publisher?.disconnect();
  await admin?.close();
  await redisServer?.stop();
});

/** Takes the seeded admin's role away in the database alone, as a change whose notice is not sent. */
async function takeRolesSilently(): Promise<void> {
  await admin.deps.prisma.staffRole.deleteMany({ where: { staffId: adminId } });
}

/** A cache of each test's own, so no notice of an earlier test reaches it. */
beforeEach(async () => {
  await admin.deps.prisma.staffRole.upsert({
    where: { staffId_roleId: { staffId: adminId, roleId: superadmin } },
    create: { staffId: adminId, roleId: superadmin },
    update: {},
  });
  // A long life: only notices and resubscriptions may refresh an entry in these tests.
  cache = new StaffAccessCache({ adminUrl: admin.url, redisUrl: redisServer.url, tokens: admin.deps.serviceTokens, log, ttlMs: 600_000 });
  await cache.start();
  return () => cache.stop();
});

const permissionsNow = async () => (await cache.access(adminId))?.permissions ?? [];

describe('StaffAccessCache', () => {
  it('answers from the cache until a notice names the staff member', async () => {
    expect(await permissionsNow()).toContain('staff.manage');
    await takeRolesSilently();
    expect(await permissionsNow()).toContain('staff.manage');
    await publisher.publish(STAFF_ACCESS_CHANGED_CHANNEL, 'another-staff-id');
    expect(await permissionsNow()).toContain('staff.manage');
    await publisher.publish(STAFF_ACCESS_CHANGED_CHANNEL, adminId);
    await waitFor('the notice applied', async () => (await permissionsNow()).length === 0, 3_000);
  });

  it('drops every entry on a notice for everyone (a role changed)', async () => {
    expect(await permissionsNow()).toContain('staff.manage');
    await takeRolesSilently();
    expect(await permissionsNow()).toContain('staff.manage');
    await publisher.publish(STAFF_ACCESS_CHANGED_CHANNEL, ANY_STAFF);
    await waitFor('the notice applied', async () => (await permissionsNow()).length === 0, 3_000);
  });

  it('drops every entry when it subscribes again after losing Redis, since notices were lost meanwhile', async () => {
    expect(await permissionsNow()).toContain('staff.manage');
    await takeRolesSilently();
    expect(await permissionsNow()).toContain('staff.manage');
    await redisServer.stop();
    await redisServer.start();
    await waitFor('the resubscription applied', async () => (await permissionsNow()).length === 0, 10_000);
  });

  it('refuses a staff request with 503 while the admin domain cannot say, rather than let it through', async () => {
    const unreachable = new StaffAccessCache({ adminUrl: 'http://127.0.0.1:1', redisUrl: redisServer.url, tokens: admin.deps.serviceTokens, log });
    try {
      const caller = { kind: 'staff' as const, id: adminId, brandId: admin.brands.demo.id, sessionId: adminId };
      const refused = await admitStaffCaller(unreachable, caller, admin.brands.demo.id, log).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(EdgeRefusal);
      expect(refused).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    } finally {
      await unreachable.stop();
    }
  });
});
