/** The RejectionService handlers: cheapest check first. */
import { FunctionalProbe, type LayerGraph as IrGraph } from '@evonorm/graph';
import { graphFromProto, RejectionReason, type RejectionServiceServer } from '@evonorm/contracts';
import type { Dataset } from '@evonorm/data';
import { ARCHITECTURES, architecture as networkArchitecture, isArchitecture } from '@evonorm/nets';
import { invalidArgument, optionalInRange, requireSeed, unary, unavailable, type Logger, type TrainingPool } from '@evonorm/rpc';
import { stabilityTest, type ExecutionProvider } from '@evonorm/train';
import { qualityThroughTraining } from './quality.js';
import { isVerdict, screen } from './screen.js';

export const MAX_STABILITY_STEPS = 1000;
export const MAX_QUALITY_STEPS = 10_000;

export interface RejectionDeps {
  /** Dataset of the stability test's small batch. */
  readonly stabilityData: () => Dataset;
  /** Training replicas, or undefined when none is configured. */
  readonly training?: TrainingPool;
  /** Looks up an evaluated candidate by functional hash (the selection service), when configured. */
  readonly lookup?: (functionalHash: string) => Promise<string | undefined>;
  readonly threads?: number;
  /** Execution provider and GPU of the stability test (--ep, --device). */
  readonly ep?: ExecutionProvider;
  readonly device?: number;
}

/** A graph well-formed enough to judge (its verdicts are the screen's business); garbage is INVALID_ARGUMENT. */
function requireJudgeable(field: string, graph: Parameters<typeof graphFromProto>[0]): IrGraph {
  if (!graph) throw invalidArgument(field, 'a layer graph is required');
  const parsed = graphFromProto(graph, {});
  if (parsed.ok) return parsed.graph;
  if (isVerdict(parsed.problems) && parsed.graph) return parsed.graph;
  const shown = parsed.problems.slice(0, 5).map((p) => `${field}.${p.field}: ${p.message}`);
  throw invalidArgument(field, `invalid layer graph: ${shown.join('; ')}`);
}

export function rejectionService(deps: RejectionDeps, logger: Logger): RejectionServiceServer {
  const probe = new FunctionalProbe();
  return {
    screen: unary('Screen', logger, async (request) => {
      const verdict = screen(requireJudgeable('graph', request.graph), request.batchIndependent, probe);
      if (!verdict.accepted || !deps.lookup) return verdict;
      // A functionally equal layer already evaluated: the caller can reuse its result.
      return { ...verdict, duplicateOf: (await deps.lookup(verdict.hashes!.functional)) ?? '' };
    }),
    testStability: unary('TestStability', logger, async (request) => {
      const graph = requireJudgeable('graph', request.graph);
      const architecture = request.architecture || 'resnet_v2';
      if (!isArchitecture(architecture)) throw invalidArgument('architecture', `unknown architecture ${JSON.stringify(architecture)}; use one of ${ARCHITECTURES.join(', ')}`);
      const steps = optionalInRange('steps', request.steps, 1, MAX_STABILITY_STEPS, 100);
      const threshold = optionalInRange('max_gradient_norm', request.maxGradientNorm, 1e-12, 1e300, 1e8);
      const batchSize = optionalInRange('batch_size', request.batchSize, 1, 256, 8);
      const width = optionalInRange('width_multiplier', request.widthMultiplier, 0.05, 4, 0);
      const depth = optionalInRange('depth_multiplier', request.depthMultiplier, 0.05, 4, 0);
      const dataset = deps.stabilityData();
      const result = await stabilityTest({
        layer: graph,
        dataset,
        seed: requireSeed('seed', request.seed),
        architecture: networkArchitecture(architecture, {
          input: dataset.shape,
          classes: dataset.classes,
          ...(width ? { width } : {}),
          ...(depth ? { depth } : {}),
        }),
        steps,
        maxGradientNorm: threshold,
        batchSize,
        ...(deps.threads ? { threads: deps.threads } : {}),
        ...(deps.ep ? { ep: deps.ep } : {}),
        ...(deps.device !== undefined ? { device: deps.device } : {}),
      });
      return {
        accepted: result.accepted,
        maxGradientNorm: Number.isFinite(result.maxGradientNorm) ? result.maxGradientNorm : Number.MAX_VALUE,
        steps: result.steps,
        seconds: result.seconds,
        rejection: result.accepted ? undefined : { reason: RejectionReason.REJECTION_REASON_UNSTABLE, detail: result.detail, problems: [], scores: [] },
      };
    }),
    testQuality: unary('TestQuality', logger, async (request, context) => {
      requireJudgeable('graph', request.graph);
      const architectures = request.architectures.length > 0 ? request.architectures : [...ARCHITECTURES];
      architectures.forEach((a, i) => {
        if (!isArchitecture(a)) throw invalidArgument(`architectures[${i}]`, `unknown architecture ${JSON.stringify(a)}; use one of ${ARCHITECTURES.join(', ')}`);
      });
      const steps = optionalInRange('steps', request.steps, 1, MAX_QUALITY_STEPS, 100);
      const minAccuracy = optionalInRange('min_accuracy', request.minAccuracy, 1e-9, 1, 0.2);
      const batchSize = optionalInRange('batch_size', request.batchSize, 1, 1024, 32);
      if (!deps.training) throw unavailable('no training service configured: start the rejection service with --training-address host:port');
      return qualityThroughTraining(
        deps.training,
        {
          graph: request.graph!,
          seed: requireSeed('seed', request.seed),
          architectures,
          dataset: request.dataset || 'fashion_mnist',
          steps,
          minAccuracy,
          batchSize,
          ...(request.training ? { base: request.training } : {}),
          engine: request.engine,
        },
        context.signal,
      );
    }),
  };
}
