import { configHistoryForStaff } from '../brand-config-history';
import { brandConfigForStaff } from '../brand-management';
import type { BrandResolvers } from '../generated/resolvers-types';

export const Brand: BrandResolvers = {
  __resolveReference: ({ id }, { loaders }) => loaders.brandById.load(id),
  domains: (brand) => brand.domains.map((domain) => domain.host),
  config: (brand, _args, context) => brandConfigForStaff(context, brand.id),
  configHistory: (brand, args, context) => configHistoryForStaff(context, brand.id, args),
};
