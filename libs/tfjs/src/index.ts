export * from './backend.js';
export * from './layer.js';
export * from './network.js';
export * from './trainer.js';
