export * from './backend.js';
export * from './layer.js';
