/** The Redis Streams of docs/EVENTS.md, by producing domain. */
export const STREAMS = {
  wallet: 'rgb:stream:wallet',
  rolling: 'rgb:stream:rolling',
  player: 'rgb:stream:player',
  agent: 'rgb:stream:agent',
  game: 'rgb:stream:game',
  promotion: 'rgb:stream:promotion',
  recon: 'rgb:stream:recon',
} as const;
export type StreamName = keyof typeof STREAMS;
export type StreamKey = (typeof STREAMS)[StreamName];

/** Where a consumer parks entries it cannot apply. One dead-letter stream per source stream. */
export function deadLetterStream(stream: string): string {
  return `${stream}:dead-letter`;
}

/**
 * Event types per stream (docs/EVENTS.md). "emitted" have a producer and a payload schema;
 * "reserved" are declared so a future producer does not invent a name, and nothing may rely
 * on them being on the stream.
 */
export const EVENT_TYPES = {
  wallet: {
    emitted: [
      'BET_SETTLED_CONFIRMED',
      'BET_ROLLED_BACK_CONFIRMED',
      'ROLLING_COMPLETED_CONFIRMED',
      'DEPOSIT_REQUESTED',
      'DEPOSIT_APPROVED',
      'DEPOSIT_DECLINED',
      'WITHDRAW_REQUESTED',
      'WITHDRAW_APPROVED',
      'WITHDRAW_DECLINED',
      'STAFF_ACTION_RECORDED',
    ],
    reserved: ['BET_AUTHORIZED', 'PROMOTION_CREDITED', 'PROMOTION_REVERSED', 'COUPON_EXPIRED'],
  },
  rolling: { emitted: ['ROLLING_COMPLETED', 'ROLLING_CANCELED', 'ROLLING_EXPIRED', 'STAFF_ACTION_RECORDED'], reserved: [] },
  player: { emitted: ['PLAYER_REGISTERED', 'STAFF_ACTION_RECORDED'], reserved: ['VIP_LEVEL_CHANGED'] },
  agent: {
    emitted: [
      'AGENT_WITHDRAW_CREATED',
      'AGENT_WITHDRAW_APPROVED',
      'AGENT_WITHDRAW_DECLINED',
      'AGENT_WITHDRAW_PAID',
      'AGENT_WITHDRAW_PAY_DECLINED',
      'AGENT_COUPON_GRANTED',
      'AGENT_COUPON_RECYCLED',
      'AGENT_BALANCE_ADJUSTED',
      'STAFF_ACTION_RECORDED',
    ],
    reserved: [],
  },
  game: { emitted: ['STAFF_ACTION_RECORDED'], reserved: [] },
  promotion: { emitted: ['STAFF_ACTION_RECORDED'], reserved: [] },
  recon: { emitted: ['RECON_REVIEW_OPENED', 'RECON_REVIEW_CLOSED', 'RECON_DEPOSIT_MATCHED', 'STAFF_ACTION_RECORDED'], reserved: [] },
} as const satisfies Record<StreamName, { emitted: readonly string[]; reserved: readonly string[] }>;

export type EmittedEventType = (typeof EVENT_TYPES)[StreamName]['emitted'][number];
export type ReservedEventType = (typeof EVENT_TYPES)[StreamName]['reserved'][number];
export type EventType = EmittedEventType | ReservedEventType;
