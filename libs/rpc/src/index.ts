export * from './errors.js';
export * from './logger.js';
export * from './handlers.js';
export * from './config.js';
export * from './server.js';
export * from './validate.js';
export * from './testing.js';
