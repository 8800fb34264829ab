export * from './streams';
export * from './payloads';
export * from './envelope';
