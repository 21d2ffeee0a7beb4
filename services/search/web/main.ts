/**
 * The page's entry point. A report carries its data inline (<script id="evonorm-data">); the live
 * dashboard (<body data-live>) loads /api/state and redraws on every server-sent event.
 */
import type { ReportData } from '../src/report/model.js';
import { architecturePlots, costPlot, historyPlot } from './plots.js';
import { compareSection, rerankSection } from './results.js';
import { answer, funnelSection, h, lineageSection, planSection, replicasSection, topTable } from './sections.js';

function render(data: ReportData): void {
  const started = performance.now();
  const root = document.getElementById('app')!;
  const evaluated = data.candidates.filter((c) => c.mean !== null).length;
  const cost = costPlot(data);
  const page = h(
    'main',
    { 'data-candidates': String(data.candidates.length) },
    h(
      'header',
      {},
      h('h1', {}, data.title),
      h(
        'p',
        { class: 'sub' },
        `${data.candidates.length} candidates, ${evaluated} evaluated · ${data.status ?? `report written ${new Date(data.generatedUnixMs).toISOString().replace('T', ' ').slice(0, 19)} UTC`}`,
      ),
    ),
    answer(data),
    ...(data.rerank ? [rerankSection(data.rerank, (name) => data.candidates.find((c) => c.id === name) ?? data.candidates.find((c) => c.zoo === name))] : []),
    ...(data.compare ? [compareSection(data.compare)] : []),
    // A comparison folder has no history of its own: the search sections would be empty.
    ...(data.compare && data.candidates.length === 0
      ? []
      : [
          h('section', { id: 'progress' }, h('h2', {}, 'Progress'), h('div', { class: 'plots' }, historyPlot(data, 'index'), historyPlot(data, 'minutes'))),
          h('section', { id: 'architectures' }, h('h2', {}, 'Per-architecture accuracy and the Pareto front'), h('div', { class: 'plots' }, ...architecturePlots(data))),
          ...(cost ? [h('section', { id: 'cost' }, h('h2', {}, 'Inference cost'), h('div', { class: 'plots' }, cost))] : []),
          funnelSection(data),
          topTable(data),
          lineageSection(data),
        ]),
    ...[replicasSection(data)].filter((s): s is HTMLElement => s !== undefined),
    planSection(data),
  );
  root.replaceChildren(page);
  document.body.dataset.renderMs = (performance.now() - started).toFixed(1);
  document.body.dataset.readyMs = performance.now().toFixed(1); // since navigation started
  document.body.dataset.rendered = String(data.candidates.length);
}

function live(): void {
  const load = (): Promise<void> =>
    fetch('/api/state')
      .then((r) => r.json() as Promise<ReportData>)
      .then(render);
  void load();
  const events = new EventSource('/api/events');
  events.onmessage = (event: MessageEvent<string>) => render(JSON.parse(event.data) as ReportData);
}

if (document.body.hasAttribute('data-live')) live();
else render(JSON.parse(document.getElementById('evonorm-data')!.textContent ?? '{}') as ReportData);
