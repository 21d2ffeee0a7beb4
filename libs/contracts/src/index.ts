/**
 * The evonorm.v1 contracts: messages and grpc-js service definitions generated from proto/ by
 * ts-proto (`nx run contracts:generate`), plus where to find the binary descriptor set that server
 * reflection serves.
 */
import { fileURLToPath } from 'node:url';

export * from './gen/evonorm/v1/graph.js';
export * from './gen/evonorm/v1/candidate.js';
export * from './gen/evonorm/v1/mutation_service.js';
export * from './gen/evonorm/v1/rejection_service.js';
export * from './gen/evonorm/v1/training.js';
export * from './gen/evonorm/v1/training_service.js';
export * from './gen/evonorm/v1/selection_service.js';

/**
 * Path of a FileDescriptorSet written by `buf build` next to the generated code: all of proto/, or
 * only one service's file and its imports (e.g. "evonorm.v1.MutationService"), for reflection.
 */
export function descriptorSetPath(service?: string): string {
  const file = service
    ? `${service
        .replace(/^evonorm\.v1\./, '')
        .replace(/Service$/, '')
        .toLowerCase()}.binpb`
    : 'evonorm.binpb';
  return fileURLToPath(new URL(`../../src/gen/${file}`, import.meta.url));
}
export * from './convert.js';
export * from './quality.js';
