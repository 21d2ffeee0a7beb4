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
export * from './gen/evonorm/v1/training_service.js';
export * from './gen/evonorm/v1/selection_service.js';

/** Path of the FileDescriptorSet of proto/ (written by `buf build` next to the generated code). */
export function descriptorSetPath(): string {
  return fileURLToPath(new URL('../../src/gen/evonorm.binpb', import.meta.url));
}
export * from './convert.js';
