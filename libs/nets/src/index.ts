export * from './spec.js';
export * from './architectures.js';
