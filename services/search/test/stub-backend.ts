/** A search backend for stage tests: it answers the calls given and fails any other one. */
import type { SearchBackend } from '../src/index.js';

export function stubBackend(calls: Partial<SearchBackend>): SearchBackend {
  const unused = (): never => {
    throw new Error('not used by the stage under test');
  };
  return {
    getSearch: unused,
    randomGraph: unused,
    mutate: unused,
    sampleParent: unused,
    screen: unused,
    testStability: unused,
    testQuality: unused,
    train: unused,
    measureCost: unused,
    report: unused,
    history: unused,
    replicas: () => [],
    close: () => {},
    ...calls,
  };
}
