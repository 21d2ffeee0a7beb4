/** Screening: the static checks of the method, then the functional probe. */
import { FunctionalProbe, canonicalize, parseLayerGraph, type GraphProblem, type LayerGraph as IrGraph } from '@evonorm/graph';
import { RejectionReason, graphToProto, problemToProto, type ScreenResponse } from '@evonorm/contracts';

/** Problems of a graph that is well-formed but fails the method's static checks: a verdict, not bad input. */
const VERDICTS: Partial<Record<GraphProblem['code'], RejectionReason>> = {
  independent_of_x: RejectionReason.REJECTION_REASON_INDEPENDENT_OF_INPUT,
  dead_output: RejectionReason.REJECTION_REASON_DEAD_OUTPUT,
  batch_dependent: RejectionReason.REJECTION_REASON_BATCH_DEPENDENT,
};

export function isVerdict(problems: readonly GraphProblem[]): boolean {
  return problems.length > 0 && problems.every((p) => VERDICTS[p.code] !== undefined);
}

export function screen(graph: IrGraph, batchIndependent: boolean, probe: FunctionalProbe): ScreenResponse {
  const parsed = parseLayerGraph(graph, { batchIndependent });
  const canonical = canonicalize(graph);
  const base = { hashes: { structural: canonical.hash, functional: '' }, canonical: graphToProto(canonical.graph), duplicateOf: '' };
  if (!parsed.ok) {
    const first = parsed.problems[0]!;
    return {
      ...base,
      accepted: false,
      rejection: { reason: VERDICTS[first.code]!, detail: first.message, problems: parsed.problems.map(problemToProto), scores: [] },
    };
  }
  const result = probe.probe(canonical.graph);
  if (!result.ok) {
    const reason = result.reason === 'non_finite' ? RejectionReason.REJECTION_REASON_NON_FINITE : RejectionReason.REJECTION_REASON_CONSTANT_OUTPUT;
    return { ...base, accepted: false, rejection: { reason, detail: result.detail, problems: [], scores: [] } };
  }
  return { ...base, accepted: true, hashes: { structural: canonical.hash, functional: result.hash }, rejection: undefined };
}
