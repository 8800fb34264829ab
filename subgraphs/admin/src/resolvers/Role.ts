import type { RoleResolvers } from '../generated/resolvers-types';
import { rolePermissions } from '../roles';

export const Role: RoleResolvers = {
  permissions: (role) => rolePermissions(role),
};
