export * from './schedule.js';
export * from './engine.js';
export * from './train.js';
export * from './checkpoint.js';
export * from './quality.js';
export * from './stability.js';
export * from './provider.js';
export * from './flops.js';
