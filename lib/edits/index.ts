export * from './parser';
export * from './apply';
export * from './paths';
export * from './report';
