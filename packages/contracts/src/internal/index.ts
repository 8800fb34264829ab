export * from './route';
export * from './wallet';
export * from './player';
export * from './admin';
export * from './rolling';
export * from './agent';
export * from './promotion';
