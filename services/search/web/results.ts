/**
 * The page's sections for longer trainings: the rerank table (rerank.json: each layer × architecture
 * mean ± 95% CI on the test split, the difference to BN-ReLU paired by seed, held-out architectures
 * marked) and the comparison (compare.json: best-so-far curves per strategy, mean ± 95% CI over seeds).
 */
import * as Plot from '@observablehq/plot';
import type { CandidateView, CompareView, IntervalView, RerankView } from '../src/report/model.js';
import { seedLeadsText, separationText } from '../src/search/separation.js';
import { intervalText } from '../src/search/statistics.js';
import { formula, h } from './sections.js';

/** The search's candidate for a re-ranked layer's name (its id, or a zoo name), whose LaTeX the table typesets. */
export type LayerLookup = (name: string) => CandidateView | undefined;

/** "+1.2 ± 0.8 pts" (points), or "+1.2 pts" with one seed. */
export function diffText(d: Pick<IntervalView, 'mean' | 'halfWidth'>): string {
  return `${d.mean >= 0 ? '+' : '−'}${Math.abs(100 * d.mean).toFixed(1)}${d.halfWidth === null ? '' : ` ± ${(100 * d.halfWidth).toFixed(1)}`} pts`;
}

/** Above zero, below zero, or an interval that contains zero (not evidence either way). */
export function diffClass(d: Pick<IntervalView, 'mean' | 'low' | 'high'>): string {
  if (d.low !== null && d.low > 0) return 'up';
  if (d.high !== null && d.high < 0) return 'down';
  return d.low === null ? (d.mean >= 0 ? 'up' : 'down') : 'unsure';
}

export function rerankTable(rerank: RerankView, id = 'rerank-table', lookup: LayerLookup = () => undefined): HTMLElement {
  const archs = rerank.architectures;
  const ref = rerank.reference;
  const head = h(
    'tr',
    {},
    ...['rank', 'layer', ...archs.map((a) => (a.heldOut ? `${a.name} (held out)` : a.name)), 'mean', ref ? `mean − ${ref}` : 'mean − reference', 'formula'].map((t) => h('th', {}, t)),
  );
  const rows = rerank.layers.map((l, i) =>
    h(
      'tr',
      { 'data-layer': l.name },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', {}, `${l.name}${l.kind === 'baseline' ? ' (baseline)' : ''}`),
      ...archs.map((a) => {
        const r = l.architectures[a.name];
        if (!r) return h('td', {}, '—');
        return h(
          'td',
          { class: 'num', 'data-arch': a.name },
          intervalText(r),
          ...(r.vsReference ? [h('br'), h('span', { class: `diff ${diffClass(r.vsReference)}` }, diffText(r.vsReference))] : []),
          r.failures ? ` [${r.failures} failed]` : '',
        );
      }),
      h('td', { class: 'num' }, intervalText(l.mean)),
      h('td', { class: `num ${l.mean.vsReference ? diffClass(l.mean.vsReference) : ''}` }, l.mean.vsReference ? diffText(l.mean.vsReference) : l.name === ref ? '(reference)' : '—'),
      ((c) => (c?.latex ? h('td', {}, formula(c)) : h('td', { class: 'formula-text' }, l.formula)))(lookup(l.name)),
    ),
  );
  return h('table', { class: 'top', id }, h('thead', {}, head), h('tbody', {}, ...rows));
}

function rerankNote(rerank: RerankView): string {
  const held = rerank.architectures.filter((a) => a.heldOut).map((a) => a.name);
  return (
    `Test-split accuracy after ${rerank.steps} training steps on ${rerank.seeds.length} seed(s) (${rerank.dataset}): mean ± 95% CI over seeds (Student t). ` +
    (rerank.reference ? `Below each score: the difference to ${rerank.reference} paired by seed, ± its 95% CI (green: the interval lies above zero; red: below; grey: it contains zero). ` : '') +
    (held.length ? `Held out (the search never trained on them): ${held.join(', ')}.` : 'Every architecture was one the search trained on.')
  );
}

export function rerankSection(rerank: RerankView, lookup?: LayerLookup): HTMLElement {
  return h('section', { id: 'rerank' }, h('h2', {}, 'Re-ranking (test split)'), h('p', { class: 'note' }, rerankNote(rerank)), rerankTable(rerank, 'rerank-table', lookup));
}

/** The arms compared: the strategies, or (compare --vary) each strategy under each value. Files from before --vary have no arms. */
function armNames(compare: CompareView): readonly string[] {
  return compare.arms?.map((a) => a.name) ?? compare.strategies;
}

type Axis = 'candidates' | 'seconds';

/** Mean curves per arm and each search's own points, along one axis: candidate count or training seconds. */
function curveData(
  compare: CompareView,
  axis: Axis,
): { mean: Array<{ arm: string; x: number; mean: number; low: number | null; high: number | null }>; own: Array<{ arm: string; search: string; x: number; best: number }> } {
  const point = (arm: string, x: number, p: IntervalView) => ({ arm, x, mean: p.mean, low: p.low, high: p.high });
  const mean =
    axis === 'candidates'
      ? Object.entries(compare.summary).flatMap(([arm, points]) => points.map((p) => point(arm, p.candidates, p)))
      : Object.entries(compare.summaryBySeconds ?? {}).flatMap(([arm, points]) => points.map((p) => point(arm, p.seconds, p)));
  const own = compare.searches.flatMap((s) => {
    const arm = s.arm ?? s.strategy;
    const points = axis === 'candidates' ? s.byCandidates.map((best, i) => ({ x: i + 1, best })) : (s.bySeconds ?? []).map((p) => ({ x: p.seconds, best: p.best }));
    return points.flatMap((p) => (p.best === null ? [] : [{ arm, search: s.name, x: p.x, best: p.best }]));
  });
  return { mean, own };
}

/** Best-so-far mean validation accuracy by candidate count or by training seconds: each arm's mean over seeds with its 95% band, and each search's own curve. */
function curvesPlot(compare: CompareView, axis: Axis): HTMLElement {
  const { mean, own } = curveData(compare, axis);
  // The y range fits the curves (to the next 5 points, within 0–100%): searches differ by a few
  // points, which a 0–100% axis flattens. A band over few seeds can reach past it (Student t with
  // one degree of freedom multiplies the spread by 12.7), so bands are drawn clipped to the range.
  const values = [...mean.map((p) => p.mean), ...own.map((p) => p.best)];
  const domain: [number, number] = values.length ? [Math.max(0, Math.floor((Math.min(...values) - 0.02) * 20) / 20), Math.min(1, Math.ceil((Math.max(...values) + 0.02) * 20) / 20)] : [0, 1];
  const bands = mean.filter((p) => p.low !== null && p.high !== null).map((p) => ({ ...p, low: Math.max(domain[0], p.low!), high: Math.min(domain[1], p.high!) }));
  const plot = Plot.plot({
    width: 720,
    height: 320,
    marginLeft: 48,
    grid: true,
    x: { label: axis === 'candidates' ? 'candidates →' : 'training seconds →' },
    y: { label: '↑ best-so-far mean validation accuracy', domain, tickFormat: '%' },
    color: { legend: true, domain: [...armNames(compare)] },
    marks: [
      Plot.areaY(bands, { x: 'x', y1: 'low', y2: 'high', fill: 'arm', fillOpacity: 0.2, curve: 'step-after' }),
      Plot.line(own, { x: 'x', y: 'best', z: 'search', stroke: 'arm', strokeOpacity: 0.35, strokeDasharray: '3,3', curve: 'step-after' }),
      Plot.line(mean, { x: 'x', y: 'mean', stroke: 'arm', strokeWidth: 2, curve: 'step-after' }),
    ],
  });
  const fig = h(
    'figure',
    { 'data-plot': axis === 'candidates' ? 'compare-curves' : 'compare-curves-seconds' },
    h('h3', {}, axis === 'candidates' ? 'Best so far by candidate count' : 'Best so far by training seconds (the same compute)'),
    plot,
  );
  const means =
    axis === 'candidates'
      ? 'Solid: the mean over seeds of each arm'
      : 'Solid: the mean over seeds of each arm, up to the least training seconds any search spent (replica-reported, every seed and quality test)';
  fig.append(h('figcaption', {}, `${means}; band: its 95% CI over seeds (Student t, clipped to the plot; none with one seed); dashed: each search. Validation accuracy, as the searches scored it.`));
  return fig;
}

export function compareSection(compare: CompareView): HTMLElement {
  const rows = compare.searches.map((s) =>
    h(
      'tr',
      { 'data-search': s.name },
      h('td', {}, s.name),
      h('td', {}, s.arm ?? s.strategy),
      h('td', { class: 'num' }, String(s.candidates)),
      h('td', { class: 'num' }, String(s.evaluated)),
      h('td', { class: 'num' }, String(Math.round(s.trainingSeconds))),
      h('td', { class: 'num' }, s.best ? `${(100 * s.best.meanAccuracy).toFixed(1)}%` : '—'),
      h('td', { class: 'num' }, s.generalization ? `${s.generalization.flips} of ${s.generalization.topQuarter}` : '—'),
      h('td', { class: 'formula-text' }, s.best ? `${s.best.id}: ${s.best.formula}` : ''),
    ),
  );
  const last = Object.entries(compare.summary).map(([arm, points]) => {
    const p = points.at(-1);
    return p ? `${arm}: ${intervalText(p)} after ${p.candidates} candidates (${p.n} seed(s))` : `${arm}: no evaluated layer`;
  });
  // Every arm's curve by seconds runs up to the least training seconds any search spent.
  const even = Object.entries(compare.summaryBySeconds ?? {}).flatMap(([arm, points]) => {
    const p = points.at(-1);
    return p ? [{ arm, p }] : [];
  });
  const evenText = even.length ? ` At equal compute: ${even.map(({ arm, p }) => `${arm}: ${intervalText(p)} after ${Math.round(p.seconds)} training s`).join('; ')}.` : '';
  const pooled = Object.entries(compare.generalization ?? {}).flatMap(([arm, g]) => (g ? [`${arm}: ${g.flips} of ${g.topQuarter} (${g.layers} layers)`] : []));
  const generalizationText = pooled.length
    ? ` Generalization across the proxies (layers in the top quarter on one that are in the bottom half on the other, pooled over seeds): ${pooled.join('; ')}.`
    : '';
  const separations = compare.separations ?? [];
  const separationsText = separations.length ? ` ${separations.map((s) => `${separationText(s)}.`).join(' ')}` : '';
  const leads = (compare.seedLeads ?? []).filter((l) => l.seeds.length > 0);
  const leadsText = leads.length ? ` ${leads.map((l) => `${seedLeadsText(l.arms, l.seeds)}.`).join(' ')}` : '';
  const pending = compare.pending ?? [];
  const pendingText = pending.length ? ` Unfinished: ${pending.length} search(es) still to run (${pending.join(', ')}); these figures are over the finished ones.` : '';
  const noRerank = pending.length ? 'The rerank runs when every search has finished.' : 'The comparison ran without a rerank (--rerank-steps 0).';
  return h(
    'section',
    { id: 'compare' },
    h('h2', {}, `${compare.vary ? `Comparison of --vary ${compare.vary}` : 'Evolution versus random search'} (${armNames(compare).join(' vs ')})`),
    h(
      'p',
      { class: 'note' },
      `${compare.seeds.length} seed(s) per arm, ${compare.candidates} candidates per search${compare.vary ? `, --vary ${compare.vary}` : ''}. Mean best so far at the end: ${last.join('; ')}.${evenText}${separationsText}${leadsText}${generalizationText}${pendingText}`,
    ),
    curvesPlot(compare, 'candidates'),
    ...(compare.summaryBySeconds ? [curvesPlot(compare, 'seconds')] : []),
    h(
      'table',
      { class: 'top', id: 'compare-searches' },
      h(
        'thead',
        {},
        h('tr', {}, ...['search', 'arm', 'candidates', 'evaluated', 'training s', 'best (validation)', 'top ¼ on one proxy, bottom ½ on the other', 'best layer'].map((t) => h('th', {}, t))),
      ),
      h('tbody', {}, ...rows),
    ),
    ...(compare.rerank
      ? [h('h3', {}, "Each search's best against BN-ReLU (test split)"), h('p', { class: 'note' }, rerankNote(compare.rerank)), rerankTable(compare.rerank, 'compare-rerank')]
      : [h('p', { class: 'note' }, noRerank)]),
  );
}

/**
 * The answer from a rerank: the best layer on the test split, its difference to the reference paired
 * by seed (mean over architectures, and per architecture, held-out ones marked), and how sure that is.
 */
export function rerankAnswer(rerank: RerankView): HTMLElement[] {
  const best = rerank.layers[0];
  if (!best) return [h('p', {}, 'The rerank holds no layer.')];
  const ref = rerank.reference;
  const held = new Set(rerank.architectures.filter((a) => a.heldOut).map((a) => a.name));
  const label = (a: string): string => (held.has(a) ? `${a} (held out)` : a);
  const archs = rerank.architectures.map((a) => a.name);
  const above = archs.filter((a) => {
    const d = best.architectures[a]?.vsReference;
    return d?.low !== null && d?.low !== undefined && d.low > 0;
  });
  const ahead = archs.filter((a) => (best.architectures[a]?.vsReference?.mean ?? 0) > 0);
  const d = best.mean.vsReference;
  const verdict = !ref
    ? 'BN-ReLU was not among the re-ranked layers, so there is no paired difference to it.'
    : best.name === ref
      ? `${ref} itself has the best mean test accuracy of the re-ranked layers (${intervalText(best.mean)}).`
      : d
        ? `${best.name} beats ${ref} by ${diffText(d)} on average (paired by seed, 95% CI${d.low === null ? ' not available with one seed' : ` ${(100 * d.low).toFixed(1)} to ${(100 * d.high!).toFixed(1)} pts`}); ahead on ${ahead.length} of ${archs.length} architecture(s)${ahead.length ? `: ${ahead.map(label).join(', ')}` : ''}.`
        : `${best.name} has no paired difference to ${ref}.`;
  const sure =
    rerank.seeds.length < 2
      ? 'How sure: one seed, so no interval; rerank with --seeds 3 or more.'
      : `How sure: the paired 95% interval lies above zero on ${above.length} of ${archs.length} architecture(s)${above.length ? ` (${above.map(label).join(', ')})` : ''}${best.beatsReferenceEverywhere ? ', i.e. on every one' : ''}; an interval that contains zero is not evidence either way.`;
  return [
    h(
      'p',
      { class: 'lead', 'data-answer': 'rerank' },
      'Best layer after re-ranking: ',
      h('strong', {}, best.name),
      ` — mean test accuracy ${intervalText(best.mean)} over ${archs.length} architecture(s), ${rerank.seeds.length} seed(s), ${rerank.steps} steps.`,
    ),
    h('p', {}, verdict),
    h('p', { class: 'note' }, sure),
  ];
}
