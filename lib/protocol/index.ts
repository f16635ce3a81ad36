export * from './version';
export * from './errors';
export * from './limits';
export * from './values';
export * from './client-to-server';
export * from './server-to-client';
export * from './agents';
