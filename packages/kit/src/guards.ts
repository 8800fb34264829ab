import { forbidden, unauthenticated, type Permission } from '@rgb/contracts';
import type { Caller, ServiceCaller, StaffGrant, UserCaller } from './request-context';

/** A staff caller as the router admits them: with their grant. */
export type StaffCaller = UserCaller & { kind: 'staff'; access: StaffGrant };

type CallerOf<K extends Caller['kind']> = K extends 'service' ? ServiceCaller : UserCaller & { kind: K };

/** The caller, when it is one of `kinds`; otherwise UNAUTHENTICATED (anonymous) or FORBIDDEN (wrong audience). */
export function requireCaller<K extends Caller['kind']>(caller: Caller | null, ...kinds: K[]): CallerOf<K> {
  if (!caller) throw unauthenticated();
  if (!(kinds as string[]).includes(caller.kind)) throw forbidden(`this operation is not open to ${caller.kind} callers`);
  return caller as CallerOf<K>;
}

/**
 * The staff caller, when they hold `permission` (and, with `allBrands`, every brand in scope: for
 * what every brand shares). UNAUTHENTICATED when anonymous, FORBIDDEN naming the permission
 * otherwise (players, agents, services and staff without it alike).
 */
export function requirePermission(caller: Caller | null, permission: Permission, { allBrands = false } = {}): StaffCaller {
  if (!caller) throw unauthenticated();
  if (caller.kind !== 'staff' || !caller.access?.permissions.includes(permission)) throw forbidden(`this operation needs the ${permission} permission`);
  if (allBrands && !caller.access.allBrands) throw forbidden(`this operation changes every brand: it needs ${permission} with every brand in scope`);
  return caller as StaffCaller;
}

/** Whether the caller is staff holding `permission`: for fields that answer more to such staff. */
export function holdsPermission(caller: Caller | null, permission: Permission): boolean {
  return caller?.kind === 'staff' && caller.access?.permissions.includes(permission) === true;
}

const UUID = /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;

/** Whether an id given by a client is a UUID: anything else names nothing, and must not reach a `::uuid` cast. */
export const isUuid = (id: string): boolean => UUID.test(id);
