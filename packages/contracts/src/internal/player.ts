import { z } from 'zod';
import { defineRoute } from './route';

/** `/internal/players`: another service finds a player of a brand by id or username (a provider account, a launch). */
export const playerRoutes = {
  find: defineRoute({
    method: 'GET',
    path: '/internal/players',
    request: z.union([z.object({ brand_id: z.uuid(), id: z.uuid() }), z.object({ brand_id: z.uuid(), username: z.string().min(1).max(40) })], {
      error: 'brand_id with id or username is required',
    }),
    response: z.object({
      id: z.uuid(),
      brand_id: z.uuid(),
      username: z.string(),
      nickname: z.string().nullable(),
      status: z.enum(['ACTIVE', 'BLOCKED']),
    }),
    errors: ['NOT_FOUND'],
  }),
};
export type PlayerInfo = z.output<typeof playerRoutes.find.response>;
