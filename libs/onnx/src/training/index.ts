export * from './layer-tensors.js';
export * from './network-tensors.js';
export * from './train-step.js';
export * from './trainer.js';
export * from './session-cache.js';
