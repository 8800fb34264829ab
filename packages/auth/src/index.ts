export * from './passwords';
export * from './tokens';
export * from './refresh-tokens';
export * from './sessions';
export * from './expiring-cache';
