export * from './parser';
export * from './apply';
