/** The quality test through the training service: a short training per architecture over gRPC. */
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  RejectionReason,
  TrainRequest,
  TrainingConfig,
  TrainingFailure,
  SelectionServiceClient,
  TrainingServiceClient,
  type ArchitectureScore,
  type LayerGraph,
  type TestQualityResponse,
  type TrainResponse,
  type TrainResult,
} from '@evonorm/contracts';
import { RpcError, unavailable } from '@evonorm/rpc';

export interface QualityPlan {
  readonly graph: LayerGraph;
  readonly seed: number;
  readonly architectures: readonly string[];
  readonly dataset: string;
  readonly steps: number;
  readonly minAccuracy: number;
  readonly batchSize: number;
}

function trainOnce(client: TrainingServiceClient, request: TrainRequest, signal: AbortSignal): Promise<TrainResult> {
  return new Promise((resolve, reject) => {
    let result: TrainResult | undefined;
    const call = client.train(request, new Metadata());
    const onAbort = (): void => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    call.on('data', (e: TrainResponse) => {
      if (e.result) result = e.result;
    });
    call.on('error', (e: ServiceError) => {
      signal.removeEventListener('abort', onAbort);
      // Bad requests are ours to report as such; a dead or missing trainer is UNAVAILABLE.
      reject(e.code === status.UNAVAILABLE || e.code === status.DEADLINE_EXCEEDED ? unavailable(`training service: ${e.details}`) : new RpcError(e.code, `training service: ${e.details}`));
    });
    call.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      if (result) resolve(result);
      else reject(unavailable('training service ended the call without a result'));
    });
  });
}

export async function qualityThroughTraining(client: TrainingServiceClient, plan: QualityPlan, signal: AbortSignal): Promise<TestQualityResponse> {
  const scores: ArchitectureScore[] = [];
  for (const architecture of plan.architectures) {
    const result = await trainOnce(
      client,
      TrainRequest.fromPartial({
        graph: plan.graph,
        seed: plan.seed,
        config: TrainingConfig.fromPartial({ architecture, dataset: plan.dataset, steps: plan.steps, batchSize: plan.batchSize, validationExamples: 500 }),
      }),
      signal,
    );
    const score = result.score!;
    scores.push(score);
    if (result.failure !== TrainingFailure.TRAINING_FAILURE_UNSPECIFIED) {
      return { accepted: false, scores, rejection: { reason: RejectionReason.REJECTION_REASON_TRAINING_FAILED, detail: `${architecture}: ${result.failureDetail}`, problems: [], scores } };
    }
    if (score.accuracy < plan.minAccuracy) {
      const detail = `${architecture}: validation accuracy ${(100 * score.accuracy).toFixed(1)}% < ${(100 * plan.minAccuracy).toFixed(0)}% after ${score.steps} steps`;
      return { accepted: false, scores, rejection: { reason: RejectionReason.REJECTION_REASON_LOW_QUALITY, detail, problems: [], scores } };
    }
  }
  return { accepted: true, scores, rejection: undefined };
}

export function trainingClient(address: string): TrainingServiceClient {
  return new TrainingServiceClient(address, credentials.createInsecure());
}

/** Asks the selection service for an evaluated candidate with this functional hash. */
export function selectionLookup(address: string): (functionalHash: string) => Promise<string | undefined> {
  const client = new SelectionServiceClient(address, credentials.createInsecure());
  return (functionalHash) =>
    new Promise((resolve, reject) => {
      client.lookupFunctionalHash({ functionalHash }, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (error, response) => {
        if (error) reject(unavailable(`selection service: ${error.details}`));
        else resolve(response.found ? response.candidate?.id : undefined);
      });
    });
}
