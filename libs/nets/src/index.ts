export * from './spec.js';
export * from './architectures.js';
export * from './weights.js';
