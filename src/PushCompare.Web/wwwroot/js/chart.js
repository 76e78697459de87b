// Bar charts for the comparison, one small SVG per metric. Each bar carries its transport, its protocol, its value
// and its ratio to WebSocket over the same protocol right beside it, so nothing needs a legend; a transport's bars for
// each protocol sit together. The SVG scales to its box, so it fits a phone.
import { formatMs, formatNumber, formatRatio, ratio } from './format.js';
import { UNMETERED } from './compare-metrics.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;      // viewBox units; the SVG is drawn at 100% of its container's width
const ROW = 34;         // label line + bar
const GAP = 8;          // between one transport's bars and the next's
const TOP = 4;

/**
 * @param {{id: string, label: string, ms?: boolean, server?: boolean, get: (r: object) => number|null}} metric
 * @param {{protocol: {id: string, short: string, text: string}, results: {id: string, label: string}[]}[]} sets one
 *   per protocol; each set's first result is its reference (WebSocket)
 */
export function barChart(metric, sets) {
  const rows = sets[0]?.results.flatMap((_, i) => sets.map((set) => {
    const result = set.results[i];
    const unmetered = metric.server && !result.figures;
    return { set, result, unmetered, value: unmetered ? null : metric.get(result), reference: i === 0 ? null : metric.get(set.results[0]), first: set === sets[0] };
  })) ?? [];
  const max = Math.max(...rows.map((r) => r.value ?? 0), 0);
  const groups = rows.filter((r) => r.first).length;
  const height = TOP + ROW * rows.length + GAP * Math.max(0, groups - 1);
  const svg = node('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', class: 'chart' });
  const description = rows.map((r) => `${r.result.label} over ${r.set.protocol.text} ${r.unmetered ? UNMETERED : format(metric, r.value)}`).join(', ');
  svg.append(node('title', {}, `${metric.label}: ${description}`));

  let y = TOP;
  rows.forEach((row, index) => {
    if (index > 0) y += ROW + (row.first ? GAP : 0);
    const { result, set, value } = row;
    const r = ratio(value, row.reference);
    const g = node('g', { 'data-testid': `chart-${metric.id}-${set.protocol.id}-${result.id}`, 'data-value': value ?? '' });
    g.append(node('text', { x: 0, y: y + 11, class: 'bar-label' }, `${result.label} · ${set.protocol.short}`));
    const valueText = node('text', { x: WIDTH, y: y + 11, class: row.unmetered ? 'bar-value unmetered' : 'bar-value', 'text-anchor': 'end' },
      row.unmetered ? UNMETERED : format(metric, value));
    if (r !== null) valueText.append(node('tspan', { class: 'bar-ratio', dx: 6 }, `${formatRatio(r)} vs WS`));
    g.append(valueText);
    g.append(node('rect', { x: 0, y: y + 16, width: WIDTH, height: 10, rx: 2, class: 'bar-track' }));
    const width = max > 0 && value ? Math.max(2, (value / max) * WIDTH) : 0; // a sliver stays visible
    g.append(node('rect', { x: 0, y: y + 16, width, height: 10, rx: 2, class: `bar bar-${result.id} bar-set-${set.protocol.id}` }));
    svg.append(g);
  });
  return svg;
}

function format(metric, value) {
  return metric.ms ? formatMs(value) : formatNumber(value);
}

function node(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}
