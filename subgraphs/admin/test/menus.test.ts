/**
 * The permission catalogue, roles and the back-office menu on the admin subgraph alone: every
 * permission of @rgb/contracts is listed and grantable (the rolling domain's too), and each staff
 * member sees the menu items their permissions open.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSION_NAMES, PERMISSIONS } from '@rgb/contracts';
import type { ForwardedContext } from '@rgb/kit';
import { firstError, type SeededTestSubgraph, signedIn, startSeededTestSubgraph, staffWith } from '@rgb/kit/testing';
import { SUPERADMIN_ROLE } from '../../../prisma/seed';
import { adminSubgraph } from '../src/index';

interface MenuItem {
  key: string;
  label: string;
  path: string;
  parentKey: string | null;
  permission: string;
}

const ROLLING_MENU: MenuItem = { key: 'rolling', label: 'Rolling', path: '/rolling', parentKey: null, permission: 'rollings.read' };
const AGENTS_MENU: MenuItem = { key: 'agents', label: 'Agents', path: '/agents', parentKey: null, permission: 'agents.read' };
const PAYMENTS_MENU: MenuItem = { key: 'payments', label: 'Payments', path: '/payments', parentKey: null, permission: 'deposits.read' };
const RECONCILIATION_MENU: MenuItem = { key: 'payments.reconciliation', label: 'Reconciliation', path: '/payments/reconciliation', parentKey: 'payments', permission: 'recon.read' };
const MY_ACCESS = `{ myStaffAccess { permissions menu { key label path parentKey permission } } }`;

let server: SeededTestSubgraph;
/** A staff member of every brand holding the seeded role of every permission. */
let superadminId: string;
let superadmin: ForwardedContext;

beforeAll(async () => {
  server = await startSeededTestSubgraph(adminSubgraph);
  superadminId = (
    await server.deps.prisma.staff.create({
      data: { username: `super_${randomUUID().slice(0, 8)}`, passwordHash: 'x', allBrands: true, roles: { create: { role: { connect: { name: SUPERADMIN_ROLE } } } } },
    })
  ).id;
  superadmin = signedIn(server.brands.demo, 'staff', superadminId);
});
afterAll(() => server?.close());

async function ok<T>(query: string, variables: Record<string, unknown> | undefined, as: ForwardedContext): Promise<T> {
  const answer = await server.graphql<T>(query, variables, as);
  expect(firstError(answer)).toBeUndefined();
  return answer.body.data!;
}

/** A new staff member of the demo brand holding a new role of `permissions`, created through the API. */
async function staffHolding(permissions: string[]): Promise<ForwardedContext> {
  const name = `r${randomUUID().slice(0, 8)}`;
  const { createRole } = await ok<{ createRole: { id: string; permissions: string[] } }>(
    `mutation ($input: CreateRoleInput!) { createRole(input: $input) { id permissions } }`,
    { input: { name, permissions } },
    superadmin,
  );
  expect(createRole.permissions).toEqual(permissions);
  const { createStaff } = await ok<{ createStaff: { id: string } }>(
    `mutation ($input: CreateStaffInput!) { createStaff(input: $input) { id } }`,
    { input: { username: name, password: 'staff-password-123', brandIds: [server.brands.demo.id], roleIds: [createRole.id] } },
    superadmin,
  );
  return staffWith(server.brands.demo, createStaff.id, []);
}

describe('permissions', () => {
  it('lists every permission of the catalogue in its order, the rolling ones under the rolling domain', async () => {
    const { permissions } = await ok<{ permissions: { name: string; domain: string; description: string }[] }>(
      `{ permissions { name domain description } }`,
      undefined,
      staffWith(server.brands.demo, superadminId, ['roles.read'], { allBrands: true }),
    );
    expect(permissions.map(({ name }) => name)).toEqual(PERMISSION_NAMES);
    expect(permissions.filter(({ domain }) => domain === 'rolling')).toEqual([
      { name: 'rollings.read', domain: 'rolling', description: PERMISSIONS['rollings.read'].description },
      { name: 'rollings.manage', domain: 'rolling', description: PERMISSIONS['rollings.manage'].description },
    ]);
  });

  it('are all held by the seeded superadmin role', async () => {
    const { roles } = await ok<{ roles: { name: string; permissions: string[] }[] }>(`{ roles { name permissions } }`, undefined, superadmin);
    expect(roles.find(({ name }) => name === SUPERADMIN_ROLE)?.permissions).toEqual(PERMISSION_NAMES);
  });
});

describe('myStaffAccess.menu', () => {
  it('shows Rolling to staff holding rollings.read, with the rolling permissions their role grants', async () => {
    const clerk = await staffHolding(['rollings.read', 'rollings.manage']);
    expect((await ok<{ myStaffAccess: unknown }>(MY_ACCESS, undefined, clerk)).myStaffAccess).toEqual({
      permissions: ['rollings.read', 'rollings.manage'],
      menu: [ROLLING_MENU],
    });
  });

  it('hides Rolling from staff holding rollings.manage alone, and shows it among the others to the superadmin', async () => {
    const canceller = await staffHolding(['rollings.manage']);
    expect((await ok<{ myStaffAccess: unknown }>(MY_ACCESS, undefined, canceller)).myStaffAccess).toEqual({ permissions: ['rollings.manage'], menu: [] });
    const { myStaffAccess } = await ok<{ myStaffAccess: { permissions: string[]; menu: MenuItem[] } }>(MY_ACCESS, undefined, superadmin);
    expect(myStaffAccess.permissions).toEqual(PERMISSION_NAMES);
    expect(myStaffAccess.menu).toContainEqual(ROLLING_MENU);
  });

  it('shows Agents to staff holding agents.read, and not to staff who may manage the allow-list alone', async () => {
    const reader = await staffHolding(['agents.read']);
    expect((await ok<{ myStaffAccess: unknown }>(MY_ACCESS, undefined, reader)).myStaffAccess).toEqual({ permissions: ['agents.read'], menu: [AGENTS_MENU] });
    const manager = await staffHolding(['agent_brands.manage']);
    expect((await ok<{ myStaffAccess: unknown }>(MY_ACCESS, undefined, manager)).myStaffAccess).toEqual({ permissions: ['agent_brands.manage'], menu: [] });
  });

  it('shows Reconciliation under Payments to staff holding recon.read, and not to staff who may only resolve or set it up', async () => {
    const reader = await staffHolding(['recon.read']);
    expect((await ok<{ myStaffAccess: unknown }>(MY_ACCESS, undefined, reader)).myStaffAccess).toEqual({ permissions: ['recon.read'], menu: [PAYMENTS_MENU, RECONCILIATION_MENU] });
    const resolver = await staffHolding(['recon.resolve', 'recon.manage']);
    expect((await ok<{ myStaffAccess: unknown }>(MY_ACCESS, undefined, resolver)).myStaffAccess).toEqual({ permissions: ['recon.resolve', 'recon.manage'], menu: [] });
  });
});
