export * from './outbox';
export * from './publisher';
export * from './consumer';
export * from './staff-actions';
