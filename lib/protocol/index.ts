export * from './version';
export * from './errors';
export * from './limits';
export * from './events';
