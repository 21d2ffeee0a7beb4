export * from './builder.js';
export * from './layer.js';
export * from './session.js';
export * from './network.js';
export * from './bench.js';
export * from './autodiff/index.js';
export * from './training/index.js';
export * from './bench-conv.js';
