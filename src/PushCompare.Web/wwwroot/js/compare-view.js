// Shows a comparison run: a table (a column per transport, each polling figure with its ratio to WebSocket) and a
// bar chart per metric.
import { metrics } from './compare.js';
import { barChart } from './chart.js';
import { el } from './live-panel.js';
import { formatMs, formatNumber, formatRatio, ratio } from './format.js';

const delivered = { id: 'messages', label: 'Messages delivered', get: (r) => r.figures.messagesOut };

/** Renders `results` (the first is the reference, WebSocket) into the table, chart and summary elements. */
export function showComparison({ table, chart, summary }, results) {
  const [reference] = results;
  const head = el('tr', {}, el('th', { scope: 'col', className: 'figure-name' }, 'Per run'),
    ...results.map((r) => el('th', { scope: 'col' }, el('span', { className: `swatch swatch-${r.id}` }), r.label)));
  const body = el('tbody');
  for (const metric of [delivered, ...metrics]) {
    const tr = el('tr', {}, el('th', { scope: 'row' }, metric.label));
    for (const result of results) {
      const value = metric.get(result);
      const td = el('td', {}, metric.ms ? formatMs(value) : formatNumber(value));
      td.dataset.testid = `compare-${result.id}-${metric.id}`;
      td.dataset.value = value ?? '';
      if (result !== reference && metric !== delivered) {
        const r = ratio(value, metric.get(reference));
        const badge = el('span', { className: 'ratio', title: `${result.label} ÷ ${reference.label}` }, `${formatRatio(r)} vs WS`);
        badge.dataset.testid = `compare-ratio-${result.id}-${metric.id}`;
        badge.dataset.value = r ?? '';
        td.append(badge);
      }
      tr.append(td);
    }
    body.append(tr);
  }
  const figures = el('table', { className: 'figures compare' }, el('thead', {}, head), body);
  table.replaceChildren(el('div', { className: 'table-scroll' }, figures));

  chart.replaceChildren(...metrics.map((metric) => {
    const figure = el('figure', { className: 'chart-box' }, el('figcaption', {}, metric.label), barChart(metric, results));
    figure.dataset.testid = `chart-${metric.id}`;
    return figure;
  }));

  const perMessage = metrics.find((m) => m.id === 'bytesPerMessage');
  const phrases = results.slice(1).map((r) => `${r.label.toLowerCase()} ${formatRatio(ratio(perMessage.get(r), perMessage.get(reference)))}`);
  summary.textContent = `Per delivered message, ${reference.label} moved ${formatNumber(perMessage.get(reference))} bytes; `
    + `${phrases.join(', ')} as many.`;
}
