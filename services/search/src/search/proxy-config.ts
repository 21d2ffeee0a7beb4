/** The training a plan asks of a replica for one architecture: its proxy's size, data and schedule. */
import { Engine, type TrainingConfig } from '@evonorm/contracts';
import { scaleFor, type EngineChoice, type SearchPlan } from './plan.js';

/** auto leaves the choice to each replica (its --engine, auto by default). */
const ENGINE_CODES: Record<EngineChoice, Engine> = { auto: Engine.ENGINE_UNSPECIFIED, onnx: Engine.ENGINE_ONNX, tfjs: Engine.ENGINE_TFJS };

export function engineCode(engine: EngineChoice): Engine {
  return ENGINE_CODES[engine];
}

/** The plan's training of `architecture`, with `steps` (0: the service's default), scored on validation examples or (`onTest`) the test split. */
export function trainingConfig(plan: SearchPlan, architecture: string, steps = 0, onTest = false): TrainingConfig {
  return {
    architecture,
    dataset: plan.dataset,
    steps,
    batchSize: plan.batchSize,
    momentum: 0,
    weightDecay: 0,
    warmupSteps: 0,
    widthMultiplier: scaleFor(plan.width, architecture),
    depthMultiplier: scaleFor(plan.depth, architecture),
    learningRate: plan.learningRate,
    validationExamples: plan.validationExamples,
    evaluateOnTest: onTest,
    downsample: 0,
  };
}
