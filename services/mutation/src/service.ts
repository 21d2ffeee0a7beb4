/** The MutationService handlers: stateless, every random draw seeded by the request. */
import { Rng, canonicalize, mutate, randomGraph, renderFormula, structuralHash } from '@evonorm/graph';
import { graphToProto, type MutationServiceServer } from '@evonorm/contracts';
import { requireGraph, requireSeed, requireSpace, unary, type Logger } from '@evonorm/rpc';

export function mutationService(logger: Logger): MutationServiceServer {
  return {
    randomGraph: unary('RandomGraph', logger, (request) => {
      const space = requireSpace('space', request.space);
      const graph = randomGraph(Rng.fromSeed(requireSeed('seed', request.seed)), space);
      return { graph: graphToProto(graph), structuralHash: structuralHash(graph) };
    }),
    mutate: unary('Mutate', logger, (request) => {
      const space = requireSpace('space', request.space);
      const parent = requireGraph('parent', request.parent, { batchIndependent: space.batchIndependent });
      const result = mutate(parent, Rng.fromSeed(requireSeed('seed', request.seed)), { batchIndependent: space.batchIndependent });
      return { child: graphToProto(result.child), mutatedIndex: result.index, attempts: result.attempts, structuralHash: structuralHash(result.child) };
    }),
    canonicalize: unary('Canonicalize', logger, (request) => {
      const graph = requireGraph('graph', request.graph);
      const canonical = canonicalize(graph);
      return { canonical: graphToProto(canonical.graph), structuralHash: canonical.hash, idMap: Array.from(canonical.idMap) };
    }),
    renderFormula: unary('RenderFormula', logger, (request) => {
      const graph = requireGraph('graph', request.graph);
      return { formula: { text: renderFormula(graph, 'text'), latex: renderFormula(graph, 'latex') } };
    }),
  };
}
