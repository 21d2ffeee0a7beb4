/**
 * What the report page and the live dashboard show, as plain JSON: built in Node from a search's
 * history (build-data.ts) and drawn in the browser (web/). No Node or gRPC imports here, so the
 * browser bundle can share these types.
 */
import type { LadderEntry } from '../search/ladder.js';
import type { ArmSeparation, SeedLead } from '../search/separation.js';
import type { Interval } from '../search/statistics.js';

/** evaluated, duplicate (outcome reused from a functionally equal candidate), or a rejection reason such as low_quality. */
export type OutcomeName = string;

export interface GraphNodeView {
  /** Node id (4 + index in the graph's node list). */
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly number[];
  /** bwh, whc, wh or whcg for aggregates. */
  readonly axes?: string;
}

export interface CandidateView {
  readonly id: string;
  readonly index: number;
  readonly parentId: string;
  readonly outcome: OutcomeName;
  /** Accuracy by architecture: the evaluation's, or the quality test's for a low-quality rejection. */
  readonly scores: Readonly<Record<string, number>>;
  /** Per-seed accuracies by architecture, where the evaluation trained several seeds (else absent). */
  readonly seedScores: Readonly<Record<string, readonly number[]>>;
  /** Mean over the architectures of an evaluated candidate (or its duplicate); null otherwise. */
  readonly mean: number | null;
  /** Inference time over BN-ReLU's (Candidate.cost); null where not measured (absent in older data). */
  readonly costRatio?: number | null;
  readonly formula: string;
  readonly latex: string;
  /** Zoo name (bn-relu, evonorm-b0, ...) when the graph is a known layer. */
  readonly zoo: string;
  readonly duplicateOf: string;
  /** Milliseconds since the first candidate was created. */
  readonly elapsedMs: number;
  readonly nodes: readonly GraphNodeView[];
  /** The node id the mutation from the parent changed; null without a parent. */
  readonly changedNode: number | null;
  readonly detail: string;
  /** Its part in the rejection ladder's compute (ladder.ts); absent for a duplicate or in older data. */
  readonly ladder?: LadderEntry;
}

export interface ReplicaView {
  readonly address: string;
  /** Trainings running on the replica, as it reports them (every client's). */
  readonly running: number;
  readonly queued: number;
  readonly maxConcurrent: number;
  readonly engine: string;
  readonly backend: string;
  /** cpu, or cuda:<device>. */
  readonly executionProvider: string;
  /** Set when the replica did not answer GetWorkerInfo. */
  readonly error: string;
}

export interface ReportData {
  readonly title: string;
  readonly generatedUnixMs: number;
  /** Flag name (as `evonorm search` takes it) to value. */
  readonly plan: Readonly<Record<string, string>>;
  /** Engine, execution provider, replicas: what the run recorded (key to value). */
  readonly environment: Readonly<Record<string, string>>;
  readonly architectures: readonly string[];
  readonly candidates: readonly CandidateView[];
  /** Ids of the history-wide Pareto front. */
  readonly front: readonly string[];
  /** Where the front came from, in words (the selection service's GetParetoFront, or its code over the SQLite history). */
  readonly frontSource: string;
  /** Live only: each training replica's load. */
  readonly replicas?: readonly ReplicaView[];
  /** Live only: the search's state in words (running, finished, unreachable...). */
  readonly status?: string;
  /** Sections that have no data in this run, with why (e.g. no rerank.json yet). */
  readonly notes: readonly string[];
  /** The run folder's rerank.json (evonorm rerank), or a comparison's rerank of each search's best. */
  readonly rerank?: RerankView;
  /** A comparison folder's compare.json (evonorm compare). */
  readonly compare?: CompareView;
}

/** A mean over seeds with its 95% t-interval (halfWidth, low, high null below two seeds), as statistics.ts computes it. */
export type IntervalView = Interval;

/** rerank.json (docs/search.md, "Re-ranking"): the fields the page draws. */
export interface RerankView {
  readonly split: string;
  readonly steps: number;
  readonly seeds: readonly string[];
  readonly dataset: string;
  readonly reference: string | null;
  readonly architectures: ReadonlyArray<{ readonly name: string; readonly heldOut: boolean }>;
  readonly layers: ReadonlyArray<{
    readonly name: string;
    readonly kind: 'candidate' | 'baseline';
    readonly formula: string;
    readonly searchMeanAccuracy: number | null;
    readonly architectures: Readonly<Record<string, IntervalView & { readonly failures: number; readonly vsReference: IntervalView | null }>>;
    readonly mean: IntervalView & { readonly vsReference: IntervalView | null };
    readonly beatsReferenceEverywhere: boolean;
  }>;
}

/** How often a layer in the top quarter on one proxy is in the bottom half on the other. */
export interface GeneralizationView {
  readonly architectures: readonly [string, string];
  readonly layers: number;
  readonly topQuarter: number;
  readonly flips: number;
}

/** compare.json (docs/experiments.md, "Evolution versus random search"): the fields the page draws. */
export interface CompareView {
  readonly candidates: number;
  readonly strategies: readonly string[];
  /** compare --vary as given; absent without it. */
  readonly vary?: string;
  /** The arms (absent in files from before --vary: then the strategies). */
  readonly arms?: ReadonlyArray<{ readonly name: string; readonly strategy: string }>;
  readonly seeds: readonly string[];
  readonly searchFlags: readonly string[];
  readonly searches: ReadonlyArray<{
    readonly name: string;
    readonly arm?: string;
    readonly strategy: string;
    readonly seed: string;
    readonly candidates: number;
    readonly evaluated: number;
    readonly trainingSeconds: number;
    readonly best: { readonly id: string; readonly meanAccuracy: number; readonly formula: string } | null;
    readonly byCandidates: ReadonlyArray<number | null>;
    /** Absent in hand-made files; compare.json always has it. */
    readonly bySeconds?: ReadonlyArray<{ readonly seconds: number; readonly best: number | null }>;
    /** Layers in the top quarter on one proxy, and those of them in the bottom half on the other (absent in older files). */
    readonly generalization?: GeneralizationView | null;
  }>;
  /** Per arm: the same counts pooled over its seeds (absent in older files). */
  readonly generalization?: Readonly<Record<string, GeneralizationView | null>>;
  /** Searches still to run (compare.json is written after each search); absent in older files. */
  readonly pending?: readonly string[];
  /** Per arm: mean best-so-far over seeds after each candidate count, ± 95% CI. */
  readonly summary: Readonly<Record<string, ReadonlyArray<IntervalView & { readonly candidates: number }>>>;
  /** Per arm: the same at equal training seconds (absent in older files). */
  readonly summaryBySeconds?: Readonly<Record<string, ReadonlyArray<IntervalView & { readonly seconds: number }>>>;
  /** Per pair of arms: from which budget on one stays above the other with the 95% intervals apart (absent in older files). */
  readonly separations?: readonly ArmSeparation[];
  /** Per pair of arms: each seed's two searches compared candidate by candidate (absent in older files). */
  readonly seedLeads?: ReadonlyArray<{ readonly arms: readonly [string, string]; readonly seeds: readonly SeedLead[] }>;
  readonly rerank: RerankView | null;
}
