export * from './dataset.js';
export * from './readers.js';
export * from './synthetic.js';
export * from './batches.js';
export * from './downsample.js';
