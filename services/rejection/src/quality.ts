/** The quality test through the training service: a short training per architecture over gRPC. */
import { Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import {
  Engine,
  TrainRequest,
  TrainingConfig,
  SelectionServiceClient,
  qualityRejection,
  type ArchitectureScore,
  type LayerGraph,
  type TestQualityResponse,
  type TrainResult,
} from '@evonorm/contracts';
import { RpcError, TRANSIENT_CODES, TrainingError, TrainingPool, channelCredentials, trainingTargets, unavailable } from '@evonorm/rpc';

export interface QualityPlan {
  readonly graph: LayerGraph;
  readonly seed: bigint;
  readonly architectures: readonly string[];
  readonly dataset: string;
  readonly steps: number;
  readonly minAccuracy: number;
  readonly batchSize: number;
  /** The rest of each run's configuration (width, learning rate...). */
  readonly base?: TrainingConfig;
  readonly engine?: Engine;
}

async function trainOnce(pool: TrainingPool, request: TrainRequest, signal: AbortSignal): Promise<TrainResult> {
  try {
    return await pool.train(request, signal);
  } catch (error) {
    // Bad requests are ours to report as such; dead or missing trainers are UNAVAILABLE.
    if (error instanceof TrainingError) throw TRANSIENT_CODES.has(error.code) ? unavailable(error.message) : new RpcError(error.code, error.message);
    throw error;
  }
}

export async function qualityThroughTraining(client: TrainingPool, plan: QualityPlan, signal: AbortSignal): Promise<TestQualityResponse> {
  const scores: ArchitectureScore[] = [];
  for (const architecture of plan.architectures) {
    const result = await trainOnce(
      client,
      TrainRequest.fromPartial({
        graph: plan.graph,
        seed: plan.seed,
        engine: plan.engine ?? Engine.ENGINE_UNSPECIFIED,
        config: TrainingConfig.fromPartial({
          ...plan.base,
          validationExamples: plan.base?.validationExamples || 500,
          architecture,
          dataset: plan.dataset,
          steps: plan.steps,
          batchSize: plan.batchSize,
        }),
      }),
      signal,
    );
    scores.push(result.score!);
    const rejection = qualityRejection(architecture, result, plan.minAccuracy, scores);
    if (rejection) return { accepted: false, scores, rejection };
  }
  return { accepted: true, scores, rejection: undefined };
}

/**
 * Training replicas from "host:port[,host:port...]" or "dns:///name:port": each call to the least
 * loaded one, with failover. `slots` > 0 keeps a call here until some replica runs fewer than that
 * many trainings, so it goes to whichever frees first instead of queueing behind one.
 */
export function trainingClient(addresses: string, slots = 0, channel: ChannelCredentials = channelCredentials()): TrainingPool {
  const targets = trainingTargets(addresses);
  // Fail fast (UNAVAILABLE) when every replica is down: the caller retries the whole test.
  return new TrainingPool(targets, { maxAttempts: targets.length + 1, credentials: channel, ...(slots > 0 ? { perReplica: slots } : {}) });
}

/** Asks the selection service for an evaluated candidate with this functional hash. */
export function selectionLookup(address: string, channel: ChannelCredentials = channelCredentials()): (functionalHash: string) => Promise<string | undefined> {
  const client = new SelectionServiceClient(address, channel);
  return (functionalHash) =>
    new Promise((resolve, reject) => {
      client.lookupFunctionalHash({ functionalHash }, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (error, response) => {
        if (error) reject(unavailable(`selection service: ${error.details}`));
        else resolve(response.found ? response.candidate?.id : undefined);
      });
    });
}
