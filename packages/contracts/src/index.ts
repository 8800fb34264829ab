export * from './money';
export * from './errors';
export * from './events';
export * from './internal';
export * from './permissions';
export * from './rgs';
