/** The page's text sections: the answer box, the funnel, the top-N table, the lineage, replicas, plan. */
import katex from 'katex';
import type { CandidateView, ReportData } from '../src/report/model.js';
import { factorText } from '../src/search/ladder.js';
import { bnRelu, funnel, lineage, maxSeeds, meanScore, missingBaseline, pct, ranked, score, signedPts } from './analysis.js';
import { graphSvg } from './graph-svg.js';
import { rerankAnswer } from './results.js';

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** A formula typeset by KaTeX (a .katex-error element when the LaTeX does not parse). */
export function formula(c: CandidateView): HTMLElement {
  const span = h('span', { class: 'formula', 'data-id': c.id, title: c.formula });
  katex.render(c.latex || '\\text{(no formula)}', span, { throwOnError: false, displayMode: false, output: 'html' });
  return span;
}

const name = (c: CandidateView): string => (c.zoo ? `${c.id} (${c.zoo})` : c.id);

function section(id: string, title: string, ...children: Array<Node | string>): HTMLElement {
  return h('section', { id }, h('h2', {}, title), ...children);
}

/** Which layer is best, by how much over BN-ReLU, on which architectures, and how sure we are. */
export function answer(data: ReportData): HTMLElement {
  const best = ranked(data)[0];
  const rerank = data.rerank ?? data.compare?.rerank ?? undefined;
  const fromRerank = rerank ? rerankAnswer(rerank) : [];
  if (!best) return section('answer', 'Answer', ...(fromRerank.length ? fromRerank : [h('p', {}, 'No layer has been evaluated yet.')]));
  const base = bnRelu(data);
  const archs = data.architectures;
  const rows = archs.map((a) => {
    const diff = base && best.scores[a] !== undefined && base.scores[a] !== undefined ? best.scores[a]! - base.scores[a]! : null;
    return h(
      'tr',
      {},
      h('td', {}, a),
      h('td', { class: 'num' }, score(best, a)),
      h('td', { class: 'num' }, base ? score(base, a) : '—'),
      h('td', { class: `num ${diff === null ? '' : diff >= 0 ? 'up' : 'down'}` }, diff === null ? '—' : signedPts(diff)),
    );
  });
  const meanDiff = base ? best.mean! - base.mean! : null;
  rows.push(
    h(
      'tr',
      { class: 'mean' },
      h('td', {}, 'mean'),
      h('td', { class: 'num' }, pct(best.mean)),
      h('td', { class: 'num' }, base ? pct(base.mean) : '—'),
      h('td', { class: `num ${meanDiff === null ? '' : meanDiff >= 0 ? 'up' : 'down'}` }, meanDiff === null ? '—' : signedPts(meanDiff)),
    ),
  );
  const wins = base ? archs.filter((a) => (best.scores[a] ?? 0) > (base.scores[a] ?? 0)) : [];
  const n = Number(data.plan['validation-examples'] ?? 0);
  const seeds = maxSeeds(data);
  const se = n > 0 ? 1.96 * Math.sqrt((best.mean! * (1 - best.mean!)) / n) : null;
  const verdict = base
    ? best.id === base.id
      ? 'BN-ReLU itself is the best layer found so far.'
      : `${name(best)} beats BN-ReLU (${base.id}) by ${signedPts(meanDiff!)} on average, and on ${wins.length} of ${archs.length} architecture(s)${wins.length ? `: ${wins.join(', ')}` : ''}.`
    : missingBaseline(data);
  return section(
    'answer',
    'Answer',
    ...fromRerank,
    ...(fromRerank.length ? [h('h3', {}, 'In the search (validation split)')] : []),
    h('p', { class: 'lead' }, 'Best layer: ', h('strong', {}, name(best)), ' = ', formula(best), ` — mean validation accuracy ${pct(best.mean)} over ${archs.length} architecture(s).`),
    h('p', {}, verdict),
    h(
      'table',
      { class: 'scores' },
      h('thead', {}, h('tr', {}, h('th', {}, 'architecture'), h('th', {}, name(best)), h('th', {}, base ? `BN-ReLU (${base.id})` : 'BN-ReLU'), h('th', {}, 'difference'))),
      h('tbody', {}, ...rows),
    ),
    h(
      'p',
      { class: 'note' },
      seeds > 1
        ? `How sure: scores trained with several seeds (up to ${seeds}) show their mean ± the 95% confidence interval over seeds (Student t); a difference inside the intervals is not evidence. `
        : 'How sure: every score is a single training run with one seed (the search evaluated one seed per layer), so no ± confidence intervals can be shown. ',
      se !== null
        ? `The validation set alone (${n} examples) makes a score uncertain by about ±${(100 * se).toFixed(1)} pts (95%, binomial), before any seed-to-seed variation; differences smaller than that are not evidence.`
        : '',
    ),
  );
}

export function funnelSection(data: ReportData): HTMLElement {
  const { stages, duplicates, ladder, saving } = funnel(data);
  const max = Math.max(1, stages[0]!.passed);
  const rows = stages.map((s) =>
    h(
      'div',
      { class: 'funnel-row', 'data-stage': s.stage },
      h('span', { class: 'funnel-label' }, s.stage),
      h('span', { class: 'funnel-bar', style: `width:${(100 * s.passed) / max}%` }, String(s.passed)),
      h('span', { class: 'funnel-compute' }, s.computeSeconds === null ? '' : `${s.computeSeconds.toFixed(0)} s`),
      h(
        'span',
        { class: 'funnel-reasons' },
        Object.entries(s.reasons)
          .map(([r, k]) => `${r} ${k}`)
          .join(' · ')
          ? `rejected here: ${Object.entries(s.reasons)
              .map(([r, k]) => `${r} ${k}`)
              .join(' · ')}`
          : '',
      ),
    ),
  );
  return section(
    'funnel',
    'Rejection funnel',
    ...rows,
    h('p', { class: 'note' }, `${duplicates} duplicate(s) computed the same function as an earlier candidate and reused its outcome (not counted above).`),
    h(
      'p',
      { class: 'note', 'data-ladder': '' },
      `Compute (the seconds each rung's tests and trainings reported, beside its bar): ${saving.spent.toFixed(0)} s in all. `,
      saving.fullBudget === null
        ? 'No layer was evaluated yet, so there is no full-budget price to compare with.'
        : `Sending all ${ladder.screenedIn} candidates that passed the static checks and the probe through the full budget (the mean evaluated layer's whole training, ${(ladder.fullTrainingSeconds / ladder.evaluated).toFixed(1)} s) would have cost ${saving.fullBudget.toFixed(0)} s: the ladder spent ${saving.factor === null ? '— (this run recorded no compute)' : factorText(saving.factor)}.`,
    ),
  );
}

export function topTable(data: ReportData, n = 10): HTMLElement {
  const top = ranked(data).slice(0, n);
  const base = bnRelu(data);
  const archs = data.architectures;
  const costs = top.some((c) => typeof c.costRatio === 'number');
  const head = h('tr', {}, ...['rank', 'id', 'formula', ...archs, 'mean', 'vs BN-ReLU', ...(costs ? ['cost'] : []), 'parent', 'graph'].map((t) => h('th', {}, t)));
  const rows = top.map((c, i) =>
    h(
      'tr',
      { 'data-id': c.id },
      h('td', { class: 'num' }, String(i + 1)),
      h('td', {}, name(c)),
      h('td', {}, formula(c)),
      ...archs.map((a) => h('td', { class: 'num' }, score(c, a))),
      h('td', { class: 'num' }, meanScore(c)),
      h('td', { class: 'num' }, base ? signedPts(c.mean! - base.mean!) : '—'),
      ...(costs ? [h('td', { class: 'num cost' }, typeof c.costRatio === 'number' ? `${c.costRatio.toFixed(1)}×` : '—')] : []),
      h('td', {}, c.parentId || '(initial)'),
      h('td', {}, graphSvg(c.nodes)),
    ),
  );
  return section(
    'top',
    `Top ${top.length} layers`,
    h(
      'p',
      { class: 'note' },
      maxSeeds(data) > 1
        ? 'Scores are validation accuracies, mean ± 95% CI over training seeds where a layer was trained with several.'
        : 'Scores are single-seed validation accuracies (no ± interval: one seed per layer).',
      costs ? ' Cost: the layer’s inference time over BN-ReLU’s, its optimized ONNX export timed against BN-ReLU’s in one process.' : '',
    ),
    h('table', { class: 'top' }, h('thead', {}, head), h('tbody', {}, ...rows)),
  );
}

export function lineageSection(data: ReportData): HTMLElement {
  const best = ranked(data)[0];
  if (!best) return section('lineage', 'Lineage of the best layer', h('p', {}, 'No layer evaluated yet.'));
  const chain = lineage(data, best.id);
  const items = chain.map((c) =>
    h(
      'li',
      { 'data-id': c.id },
      h(
        'div',
        {},
        h('strong', {}, name(c)),
        ` · ${c.outcome} · mean ${pct(c.mean)}`,
        c.parentId ? ` · from ${c.parentId}, ${c.changedNode === null ? 'changed node unknown' : `node ${c.changedNode} changed (highlighted)`}` : ' · initial population',
      ),
      h('div', {}, formula(c)),
      graphSvg(c.nodes, c.changedNode),
    ),
  );
  return section(
    'lineage',
    'Lineage of the best layer',
    h('p', { class: 'note' }, `${chain.length - 1} mutation(s) from the initial population; each mutation replaces one node.`),
    h('ol', { class: 'lineage' }, ...items),
  );
}

export function replicasSection(data: ReportData): HTMLElement | undefined {
  if (!data.replicas) return undefined;
  const rows = data.replicas.map((r) =>
    h(
      'tr',
      { 'data-replica': r.address },
      h('td', {}, r.address),
      h('td', { class: 'num' }, String(r.running)),
      h('td', { class: 'num' }, String(r.queued)),
      h('td', { class: 'num' }, String(r.maxConcurrent)),
      h('td', {}, r.engine),
      h('td', {}, r.backend),
      h('td', {}, r.executionProvider),
      h('td', {}, r.error),
    ),
  );
  return section(
    'replicas',
    'Training replicas',
    h('p', { class: 'note' }, "Load as each replica reports it (GetWorkerInfo): running and queued trainings of every client, the rejection service's quality tests included."),
    rows.length
      ? h(
          'table',
          {},
          h('thead', {}, h('tr', {}, ...['replica', 'running', 'queued', 'slots', 'engine', 'backend', 'execution provider', 'error'].map((t) => h('th', {}, t)))),
          h('tbody', {}, ...rows),
        )
      : h('p', {}, 'No training replica address is known.'),
  );
}

function keyValues(values: Readonly<Record<string, string>>): HTMLElement {
  return h('table', { class: 'kv' }, h('tbody', {}, ...Object.entries(values).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

export function planSection(data: ReportData): HTMLElement {
  return section(
    'plan',
    'Plan and environment',
    h('h3', {}, 'Plan (every flag of evonorm search)'),
    keyValues(data.plan),
    h('h3', {}, 'Environment'),
    keyValues(data.environment),
    ...data.notes.map((n) => h('p', { class: 'note' }, n)),
  );
}
