export * from './money';
export * from './errors';
