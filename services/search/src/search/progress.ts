/**
 * How a search shows itself: a live terminal view redrawn in place (progress bar, best so far with
 * its formula, throughput, rejections by reason, duplicates, busy workers), plain lines when the
 * output is not a terminal, or JSON lines (`--json`) for tools.
 */
import type { ReplicaState } from '@evonorm/rpc';
import type { SearchEvent, SearchStats } from './events.js';
import { toJson } from './json.js';
import type { SearchPlan } from './plan.js';
import { ladderText } from './ladder.js';
import { intervalText } from './statistics.js';

export interface ProgressSink {
  event(event: SearchEvent): void;
  /** Called periodically with the running totals. */
  tick(stats: SearchStats, replicas: readonly ReplicaState[]): void;
  close(): void;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function scoresText(scores: Readonly<Record<string, number>>): string {
  return Object.entries(scores)
    .map(([a, v]) => `${a} ${pct(v)}`)
    .join('  ');
}

/** "  cost 1.4× BN-ReLU", or nothing where the cost was not measured. */
export function costText(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '' : `  cost ${ratio.toFixed(1)}× BN-ReLU`;
}

function fraction(plan: SearchPlan, stats: SearchStats): number {
  const byCount = plan.candidates > 0 ? stats.reported / plan.candidates : 0;
  const byTime = plan.minutes > 0 ? (Date.now() - stats.startedMs) / (plan.minutes * 60_000) : 0;
  return Math.min(1, Math.max(byCount, byTime));
}

/** The lines of the live view. */
export function renderView(plan: SearchPlan, stats: SearchStats, replicas: readonly ReplicaState[], last: string, width = 100): string[] {
  const elapsed = (Date.now() - stats.startedMs) / 1000;
  const f = fraction(plan, stats);
  const barWidth = 30;
  const filled = Math.round(f * barWidth);
  const budget = [plan.candidates > 0 ? `${plan.candidates} candidates` : '', plan.minutes > 0 ? `${plan.minutes} min` : ''].filter(Boolean).join(' or ');
  const rate = stats.reportedThisRun / Math.max(elapsed, 1e-9);
  const reasons = Object.entries(stats.rejectionsByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => `${r} ${n}`)
    .join(' · ');
  const up = replicas.filter((r) => r.up).length;
  const busy = replicas.filter((r) => r.active > 0).length;
  const s = stats.stages;
  const lines = [
    `[${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${pct(f)}  ${clock(elapsed)} elapsed  budget ${budget}`,
    `candidates ${stats.reported} (${stats.evaluated} evaluated, ${stats.duplicates} duplicates reused)  ${(rate * 60).toFixed(1)}/min  in flight ${s.inFlight}`,
    stats.best
      ? `best ${stats.best.id}  mean ${intervalText({ mean: stats.best.meanAccuracy, halfWidth: stats.best.halfWidth ?? null })}  ${scoresText(stats.best.scores)}${costText(stats.best.costRatio)}`
      : 'best —',
    stats.best ? `     ${stats.best.formula}` : '',
    `rejections ${reasons || '—'}`,
    ladderText(stats.ladder),
    `workers screening ${s.screening} · ${plan.maxCostRatio > 0 ? `cost ${s.cost} · ` : ''}micro ${s.micro} · stability ${s.stability} · quality ${s.quality} · evaluation ${s.evaluation}   replicas ${up}/${replicas.length} up, ${busy} busy`,
    `last ${last}`,
  ];
  return lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
}

function describe(event: SearchEvent): string | undefined {
  switch (event.type) {
    case 'start':
      return `search ${event.dir}: ${event.plan.strategy}, seed ${event.plan.seed}, ${event.plan.criterion} over ${event.plan.architectures.join(', ')} on ${event.plan.dataset}${event.resumedAt > 0 ? `, resumed after ${event.resumedAt} candidates` : ''}; training on ${event.training}`;
    case 'candidate': {
      const dup = event.duplicateOf ? ` (duplicate of ${event.duplicateOf})` : '';
      return event.outcome === 'evaluated'
        ? `${event.id} evaluated: mean ${intervalText({ mean: event.meanAccuracy, halfWidth: event.halfWidth ?? null })}  ${scoresText(event.scores)}${costText(event.costRatio)}${dup}  ${event.formula}`
        : `${event.id} rejected ${event.reason}${dup}: ${event.detail}`;
    }
    case 'best':
      return `new best ${event.id}: mean ${intervalText({ mean: event.meanAccuracy, halfWidth: event.halfWidth ?? null })}  ${event.formula}`;
    case 'retry':
      return `${event.service} ${event.method}: ${event.code} (${event.detail})${event.attempt > 0 ? '; retrying' : ''}`;
    case 'stop':
      return `stopped (${event.reason}) after ${event.candidates} candidates, ${event.evaluated} evaluated, ${clock(event.seconds)}${event.ladder ? `; ${ladderText(event.ladder)}` : ''}`;
  }
}

/** JSON lines: every event, and a "progress" line with the totals every tick. */
export function jsonSink(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): ProgressSink {
  return {
    event: (event) => write(toJson(event)),
    tick: (stats, replicas) => write(toJson({ type: 'progress', ...stats, replicas })),
    close: () => {},
  };
}

/** Plain lines, one per event (for logs and pipes). */
export function lineSink(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): ProgressSink {
  return {
    event: (event) => {
      const text = describe(event);
      if (text) write(text);
    },
    tick: () => {},
    close: () => {},
  };
}

/** The live view: redraws its block in place on a terminal; notable events scroll above it. */
export function liveSink(plan: SearchPlan, stream: NodeJS.WriteStream = process.stdout): ProgressSink {
  let drawn = 0;
  let last = '—';
  let stats: SearchStats | undefined;
  let replicas: readonly ReplicaState[] = [];
  const clear = (): void => {
    if (drawn > 0) stream.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = (): void => {
    if (!stats) return;
    const lines = renderView(plan, stats, replicas, last, stream.columns || 100);
    stream.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    event: (event) => {
      const text = describe(event);
      if (event.type === 'candidate') {
        last = text ?? last;
        clear();
        draw();
        return;
      }
      if (text) {
        clear();
        stream.write(`${text}\n`);
        draw();
      }
    },
    tick: (s, r) => {
      stats = s;
      replicas = r;
      clear();
      draw();
    },
    close: () => {},
  };
}
