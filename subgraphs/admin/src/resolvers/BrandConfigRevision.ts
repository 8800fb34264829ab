import { sectionsOf } from '../brand-config-history';
import type { BrandConfigRevisionResolvers } from '../generated/resolvers-types';

export const BrandConfigRevision: BrandConfigRevisionResolvers = {
  before: (revision) => JSON.stringify(sectionsOf(revision.before, revision.changedSections)),
  after: (revision) => JSON.stringify(sectionsOf(revision.after, revision.changedSections)),
  createdAt: (revision) => revision.createdAt.toISOString(),
};
