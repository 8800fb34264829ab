import type { Permission } from '@rgb/contracts';
import type { StaffActor } from '@rgb/events';
import { requirePermission } from '@rgb/kit';
import type { Context } from './context';

type Asking = Pick<Context, 'caller' | 'requestId'>;

/**
 * Who may do what in the recon domain, decided here only: staff holding the permission, on the
 * request's brand (every read and write is scoped by it); anyone else is refused, anonymous
 * callers as UNAUTHENTICATED, players, agents and services as FORBIDDEN.
 */
export const reconAccess = {
  /** The brand's texts, their parses and matches, the review queue, devices and patterns. */
  read: (caller: Context['caller']) => void requirePermission(caller, 'recon.read'),
  /** Matching a text of the review queue by hand, dismissing it, processing it again. */
  resolve: (request: Asking) => staffActor(request, 'recon.resolve'),
  /** Registering devices and Telegram chats, and the brand's own patterns. */
  manage: (request: Asking) => staffActor(request, 'recon.manage'),
};

/** Who acts, once they hold `permission`: for the audit log. */
function staffActor({ caller, requestId }: Asking, permission: Permission): StaffActor {
  return { staffId: requirePermission(caller, permission).id, requestId };
}
