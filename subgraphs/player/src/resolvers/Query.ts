import { isUuid } from '@rgb/kit';
import { playerAccess } from '../authorization';
import { listContentEntries, publishedContent } from '../content';
import type { QueryResolvers } from '../generated/resolvers-types';
import { searchPlayers } from '../player-search';
import { resolveTranslations, storedTranslations } from '../translations';

export const Query: QueryResolvers = {
  me: (_parent, _args, { caller, loaders }) =>
    caller?.kind === 'player' ? loaders.playerById.load(caller.id) : null,
  player: (_parent, { id }, { caller, loaders }) => {
    playerAccess.readPlayer(caller);
    return isUuid(id) ? loaders.playerById.load(id) : null;
  },
  notices: (_parent, { locale }, { prisma, brand }) => publishedContent(prisma, brand, 'NOTICE', locale),
  faq: (_parent, { locale }, { prisma, brand }) => publishedContent(prisma, brand, 'FAQ', locale),
  webRules: (_parent, { locale }, { prisma, brand }) => publishedContent(prisma, brand, 'WEB_RULE', locale),
  translations: (_parent, { locale, namespace }, { prisma, brand }) => resolveTranslations(prisma, brand, locale, namespace),
  contentEntries: (_parent, args, { caller, prisma, brand }) => {
    playerAccess.readContent(caller);
    return listContentEntries(prisma, brand, args);
  },
  contentEntry: (_parent, { id }, { caller, loaders }) => {
    playerAccess.readContent(caller);
    return isUuid(id) ? loaders.contentEntryById.load(id) : null;
  },
  translationStrings: (_parent, { namespace, locale }, { caller, prisma, brand }) => {
    playerAccess.readTranslations(caller);
    return storedTranslations(prisma, brand, namespace, locale);
  },
  players: (_parent, { filter, first, after }, { caller, prisma, brand }) => {
    playerAccess.readPlayer(caller);
    return searchPlayers(prisma, brand, filter, { first, after });
  },
};
