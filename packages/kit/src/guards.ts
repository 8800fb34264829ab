import { forbidden, unauthenticated } from '@rgb/contracts';
import type { Caller, ServiceCaller, UserCaller } from './request-context';

type CallerOf<K extends Caller['kind']> = K extends 'service' ? ServiceCaller : UserCaller & { kind: K };

/** The caller, when it is one of `kinds`; otherwise UNAUTHENTICATED (anonymous) or FORBIDDEN (wrong audience). */
export function requireCaller<K extends Caller['kind']>(caller: Caller | null, ...kinds: K[]): CallerOf<K> {
  if (!caller) throw unauthenticated();
  if (!(kinds as string[]).includes(caller.kind)) throw forbidden(`this operation is not open to ${caller.kind} callers`);
  return caller as CallerOf<K>;
}
