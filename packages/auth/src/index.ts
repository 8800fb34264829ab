export * from './passwords';
export * from './tokens';
export * from './refresh-tokens';
export * from './sessions';
