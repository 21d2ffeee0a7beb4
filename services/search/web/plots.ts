/**
 * The search's plots, drawn with Observable Plot as SVG: every candidate is one circle carrying
 * data-id (and data-front on the Pareto front), so a reader (or a test) can match marks to candidates.
 */
import * as Plot from '@observablehq/plot';
import type { CandidateView, ReportData } from '../src/report/model.js';

const OUTCOME_COLORS: Record<string, string> = {
  evaluated: '#1a9850',
  duplicate: '#9e9e9e',
  invalid_graph: '#5e3c99',
  independent_of_input: '#8073ac',
  dead_output: '#b2abd2',
  batch_dependent: '#7b3294',
  non_finite: '#e08214',
  constant_output: '#fdb863',
  too_slow: '#66bd63',
  low_micro_quality: '#91bfdb',
  unstable: '#d73027',
  low_quality: '#4575b4',
  training_failed: '#000000',
};

function colorScale(candidates: readonly CandidateView[]): { domain: string[]; range: string[]; legend: true } {
  const present = [...new Set(candidates.map((c) => c.outcome))];
  const domain = [...Object.keys(OUTCOME_COLORS).filter((o) => present.includes(o)), ...present.filter((o) => !(o in OUTCOME_COLORS))];
  return { domain, range: domain.map((o) => OUTCOME_COLORS[o] ?? '#e7298a'), legend: true };
}

type Datum = CandidateView & { readonly y: number; readonly front: boolean };

/** A dot mark whose circles are tagged with their candidate's id (and front membership). */
function taggedDots(data: readonly Datum[], options: Plot.DotOptions): Plot.Dot {
  return Plot.dot(data, {
    ...options,
    render(index, scales, values, dimensions, context, next) {
      const g = next!(index, scales, values, dimensions, context)!;
      const circles = g.querySelectorAll('circle');
      circles.forEach((circle, k) => {
        const d = data[index[k]!]!;
        circle.setAttribute('data-id', d.id);
        if (d.front) circle.setAttribute('data-front', 'true');
      });
      return g;
    },
  });
}

interface LabelBox {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}

/** Vertical offsets tried in turn for a label, in pixels from its dot: above, below, further out. */
const LABEL_OFFSETS = [-12, 15, -24, 27, -36, 39];

/**
 * Zoo labels over their dots, spread so that they do not overlap: each label, in the order of the
 * data, takes the first offset (above the dot, below, further out) whose box (about 6 px a
 * character at 10 px) clears the labels placed before it. Several zoo layers often sit close
 * together, as on the cost plot, where they share a cost and differ by a point of accuracy.
 */
function zooLabels(data: readonly Datum[], options: Pick<Plot.TextOptions, 'x' | 'y'>): Plot.Text {
  const labelled = data.filter((c) => c.zoo);
  return Plot.text(labelled, {
    ...options,
    text: 'zoo',
    fontSize: 10,
    fontWeight: 'bold',
    fill: '#2b5fad',
    render(index, scales, values, dimensions, context, next) {
      const g = next!(index, scales, values, dimensions, context)!;
      const placed: LabelBox[] = [];
      g.querySelectorAll('text').forEach((text, k) => {
        const i = index[k]!;
        const [x, y] = [Number(values.x?.[i] ?? 0), Number(values.y?.[i] ?? 0)];
        const half = (6 * (labelled[i]!.zoo ?? '').length) / 2;
        const clear = (b: LabelBox): boolean => placed.every((p) => b.x1 <= p.x0 || b.x0 >= p.x1 || b.y1 <= p.y0 || b.y0 >= p.y1);
        // Kept inside the frame: a label by the right or left edge shifts inwards.
        const dx = Math.min(0, dimensions.width - dimensions.marginRight - (x + half)) || Math.max(0, dimensions.marginLeft - (x - half));
        const box = (dy: number): LabelBox => ({ x0: x + dx - half, x1: x + dx + half, y0: y + dy - 6, y1: y + dy + 6 });
        const dy = LABEL_OFFSETS.find((o) => clear(box(o))) ?? LABEL_OFFSETS[0]!;
        placed.push(box(dy));
        text.setAttribute('transform', `${text.getAttribute('transform') ?? ''} translate(${dx} ${dy})`.trim());
        text.dataset.labelDy = String(dy);
      });
      return g;
    },
  });
}

function figure(name: string, title: string, caption: string, plot: Element): HTMLElement {
  const fig = document.createElement('figure');
  fig.dataset.plot = name;
  const h = document.createElement('h3');
  h.textContent = title;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(h, plot, cap);
  return fig;
}

const tip = (c: CandidateView): string => `${c.id}${c.zoo ? ` (${c.zoo})` : ''} · ${c.outcome}${c.mean !== null ? ` · mean ${(100 * c.mean).toFixed(1)}%` : ''}\n${c.formula}`;

/** Best-so-far mean accuracy against candidate index, or against minutes since the start. */
export function historyPlot(data: ReportData, x: 'index' | 'minutes'): HTMLElement {
  const front = new Set(data.front);
  const points: Datum[] = data.candidates.map((c) => ({ ...c, y: c.mean ?? 0, front: front.has(c.id) }));
  const xOf = (c: CandidateView): number => (x === 'index' ? c.index : c.elapsedMs / 60_000);
  const best: Array<{ x: number; y: number }> = [];
  let top = Number.NEGATIVE_INFINITY;
  for (const c of [...data.candidates].sort((a, b) => xOf(a) - xOf(b))) {
    if (c.mean !== null && c.mean > top) top = c.mean;
    if (Number.isFinite(top)) best.push({ x: xOf(c), y: top });
  }
  const plot = Plot.plot({
    width: 540,
    height: 280,
    marginLeft: 48,
    grid: true,
    x: { label: x === 'index' ? 'candidate index →' : 'minutes since the first candidate →' },
    y: { label: '↑ mean validation accuracy', domain: [0, 1], tickFormat: '%' },
    color: colorScale(data.candidates),
    marks: [Plot.line(best, { x: 'x', y: 'y', curve: 'step-after', stroke: '#222', strokeWidth: 1.5 }), taggedDots(points, { x: xOf, y: 'y', fill: 'outcome', r: 3.5, fillOpacity: 0.85, title: tip })],
  });
  return figure(
    `history-${x}`,
    x === 'index' ? 'Best so far, by candidate' : 'Best so far, by wall time',
    'The line is the best mean accuracy found so far; every candidate is a dot coloured by its outcome. Rejected candidates have no accuracy and sit at 0.',
    plot,
  );
}

/**
 * The evaluated layers' mean accuracy against their inference cost (time over BN-ReLU's, log
 * scale), with the front of layers no other is both more accurate and cheaper than ringed (data-front);
 * undefined when no cost was measured.
 */
export function costPlot(data: ReportData): HTMLElement | undefined {
  const measured = data.candidates.filter((c) => c.mean !== null && typeof c.costRatio === 'number' && c.costRatio > 0);
  if (measured.length === 0) return undefined;
  const onFront = (c: CandidateView): boolean => !measured.some((o) => o !== c && o.mean! >= c.mean! && o.costRatio! <= c.costRatio! && (o.mean! > c.mean! || o.costRatio! < c.costRatio!));
  const points: Datum[] = measured.map((c) => ({ ...c, y: c.mean!, front: onFront(c) }));
  const front = points.filter((p) => p.front).sort((a, b) => a.costRatio! - b.costRatio!);
  const plot = Plot.plot({
    width: 560,
    height: 360,
    marginLeft: 52,
    grid: true,
    r: { type: 'identity' },
    color: { type: 'identity' },
    x: { label: 'inference time over BN-ReLU’s →', type: 'log', tickFormat: (x: number) => `${x}×` },
    y: { label: '↑ mean validation accuracy', tickFormat: '%', domain: accuracyDomain(points.map((p) => p.y)) },
    marks: [
      Plot.line(front, { x: 'costRatio', y: 'y', curve: 'step-after', stroke: '#d73027', strokeOpacity: 0.6 }),
      taggedDots(points, {
        x: 'costRatio',
        y: 'y',
        fill: (c: Datum) => (c.front ? '#d73027' : '#1a9850'),
        r: (c: Datum) => (c.front ? 6 : 3.5),
        stroke: (c: Datum) => (c.front ? '#000' : 'none'),
        fillOpacity: 0.8,
        title: (c: Datum) => `${tip(c)}\ncost ${c.costRatio!.toFixed(2)}× BN-ReLU`,
      }),
      zooLabels(points, { x: 'costRatio', y: 'y' }),
    ],
  });
  return figure(
    'cost',
    'Accuracy against inference cost',
    'Each dot is an evaluated layer whose inference cost was measured: its optimized ONNX export timed against BN-ReLU’s in one process, at one fixed shape on the search’s execution provider. Ringed red dots form the front: no other layer is both more accurate and cheaper.',
    plot,
  );
}

/** A padded accuracy domain around `values`, at least 10 points wide, inside [0, 1]. */
function accuracyDomain(values: readonly number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values) - 0.02;
  let hi = Math.max(...values) + 0.02;
  if (hi - lo < 0.1) [lo, hi] = [(lo + hi) / 2 - 0.05, (lo + hi) / 2 + 0.05];
  return [Math.max(0, lo), Math.min(1, hi)];
}

/** Pairwise per-architecture accuracies of the evaluated layers, front ringed, zoo layers labelled. */
export function architecturePlots(data: ReportData): HTMLElement[] {
  const front = new Set(data.front);
  const evaluated: Datum[] = data.candidates.filter((c) => c.mean !== null).map((c) => ({ ...c, y: c.mean!, front: front.has(c.id) }));
  const archs = data.architectures;
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < archs.length; i++) for (let j = i + 1; j < archs.length; j++) pairs.push([archs[i]!, archs[j]!]);
  const caption = `Each dot is an evaluated layer (duplicates included); ringed dots form the Pareto front (${data.frontSource}); zoo layers are circled in blue and labelled.`;
  if (pairs.length === 0) {
    const a = archs[0] ?? '';
    const plot = Plot.plot({
      width: 640,
      height: 260,
      marginLeft: 48,
      grid: true,
      r: { type: 'identity' },
      color: { type: 'identity' },
      x: { label: 'candidate index →' },
      y: { label: `↑ ${a} accuracy`, tickFormat: '%', domain: accuracyDomain(evaluated.map((c) => c.scores[a] ?? 0)) },
      marks: [
        taggedDots(evaluated, {
          x: 'index',
          y: (c: Datum) => c.scores[a] ?? 0,
          fill: (c: Datum) => (c.front ? '#d73027' : '#1a9850'),
          r: (c: Datum) => (c.front ? 6 : 3.5),
          stroke: (c: Datum) => (c.front ? '#000' : 'none'),
          title: tip,
        }),
        Plot.dot(
          evaluated.filter((c) => c.zoo),
          { x: 'index', y: (c: Datum) => c.scores[a] ?? 0, r: 8, stroke: '#2b5fad', strokeWidth: 1.5, fill: 'none' },
        ),
        zooLabels(evaluated, { x: 'index', y: (c: Datum) => c.scores[a] ?? 0 }),
      ],
    });
    return [figure('architectures-0', `Accuracy on ${a} (one architecture)`, caption, plot)];
  }
  return pairs.map(([a, b], k) => {
    const plot = Plot.plot({
      width: pairs.length > 1 ? 420 : 560,
      height: pairs.length > 1 ? 360 : 440,
      marginLeft: 52,
      grid: true,
      r: { type: 'identity' },
      color: { type: 'identity' },
      x: { label: `${a} accuracy →`, tickFormat: '%', domain: accuracyDomain(evaluated.map((c) => c.scores[a] ?? 0)) },
      y: { label: `↑ ${b} accuracy`, tickFormat: '%', domain: accuracyDomain(evaluated.map((c) => c.scores[b] ?? 0)) },
      marks: [
        taggedDots(evaluated, {
          x: (c: Datum) => c.scores[a] ?? 0,
          y: (c: Datum) => c.scores[b] ?? 0,
          fill: (c: Datum) => (c.front ? '#d73027' : '#1a9850'),
          r: (c: Datum) => (c.front ? 6 : 3.5),
          stroke: (c: Datum) => (c.front ? '#000' : 'none'),
          fillOpacity: 0.8,
          title: tip,
        }),
        Plot.dot(
          evaluated.filter((c) => c.zoo),
          { x: (c: Datum) => c.scores[a] ?? 0, y: (c: Datum) => c.scores[b] ?? 0, r: 8, stroke: '#2b5fad', strokeWidth: 1.5, fill: 'none' },
        ),
        zooLabels(evaluated, { x: (c: Datum) => c.scores[a] ?? 0, y: (c: Datum) => c.scores[b] ?? 0 }),
      ],
    });
    return figure(`architectures-${k}`, `${a} against ${b}`, caption, plot);
  });
}
