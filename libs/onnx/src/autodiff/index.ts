export * from './tensor-graph.js';
export * from './gradients.js';
