/**
 * The orchestrator as a library, for tools and tests that drive a search themselves; the
 * `evonorm` command line is src/cli.ts.
 */
export * from './search/backend.js';
export * from './search/events.js';
export * from './search/history.js';
export * from './search/local.js';
export * from './search/loop.js';
export * from './search/plan.js';
export * from './search/progress.js';
export * from './search/ranking.js';
export * from './search/run-folder.js';
export * from './search/seeds.js';
