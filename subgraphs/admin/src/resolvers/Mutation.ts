import { requireCaller } from '@rgb/kit';
import { allowAgentBrand, disallowAgentBrand } from '../agent-brands';
import { addBrandDomain, createBrand, removeBrandDomain, revertBrandConfig, updateBrand, updateBrandConfig } from '../brand-management';
import type { MutationResolvers } from '../generated/resolvers-types';
import { createRole, deleteRole, updateRole } from '../roles';
import { refreshStaffSession, staffLogin } from '../staff';
import { assignStaffRoles, createStaff, setStaffPassword, updateStaff } from '../staff-accounts';

export const Mutation: MutationResolvers = {
  staffLogin: (_parent, { input }, { prisma, brand, services, clientAddress, log }) =>
    staffLogin(prisma, services, brand.id, { ...input, clientAddress, log }),
  staffRefreshToken: (_parent, { refreshToken }, { prisma, brand, services }) =>
    refreshStaffSession(prisma, services.sessions, brand.id, refreshToken),
  staffLogout: async (_parent, _args, { caller, services }) => {
    await services.sessions.revoke(requireCaller(caller, 'staff').sessionId);
    return true;
  },
  createStaff: (_parent, { input }, context) => createStaff(context, input),
  updateStaff: (_parent, { id, input }, context) => updateStaff(context, id, input),
  setStaffPassword: (_parent, { id, password }, context) => setStaffPassword(context, id, password),
  assignStaffRoles: (_parent, { id, roleIds }, context) => assignStaffRoles(context, id, roleIds),
  createRole: (_parent, { input }, context) => createRole(context, input),
  updateRole: (_parent, { id, input }, context) => updateRole(context, id, input),
  deleteRole: (_parent, { id }, context) => deleteRole(context, id),
  createBrand: (_parent, { input }, context) => createBrand(context, input),
  updateBrand: (_parent, { id, input }, context) => updateBrand(context, id, input),
  addBrandDomain: (_parent, { brandId, host }, context) => addBrandDomain(context, brandId, host),
  removeBrandDomain: (_parent, { brandId, host }, context) => removeBrandDomain(context, brandId, host),
  updateBrandConfig: (_parent, { brandId, input, reason }, context) => updateBrandConfig(context, brandId, input, reason),
  revertBrandConfig: (_parent, { brandId, revisionId, reason }, context) => revertBrandConfig(context, brandId, revisionId, reason),
  allowAgentBrand: (_parent, { agentId, brandId }, context) => allowAgentBrand(context, agentId, brandId),
  disallowAgentBrand: (_parent, { agentId, brandId }, context) => disallowAgentBrand(context, agentId, brandId),
};
