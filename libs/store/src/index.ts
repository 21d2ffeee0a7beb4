export * from './store.js';
export * from './archive.js';
