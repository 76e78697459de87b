// Bar charts for the comparison, one small SVG per metric. Each bar carries its transport's name, its value and its
// ratio to WebSocket right beside it, so nothing needs a legend; the SVG scales to its box, so it fits a phone.
import { formatMs, formatNumber, formatRatio, ratio } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 320;      // viewBox units; the SVG is drawn at 100% of its container's width
const ROW = 34;         // label line + bar
const TOP = 4;

/**
 * @param {{id: string, label: string, ms?: boolean, get: (r: object) => number|null}} metric
 * @param {{id: string, label: string}[]} results one per transport; the first is the reference (WebSocket)
 */
export function barChart(metric, results) {
  const reference = metric.get(results[0]);
  const values = results.map((r) => metric.get(r));
  const max = Math.max(...values.map((v) => v ?? 0), 0);
  const height = TOP + ROW * results.length;
  const svg = node('svg', { viewBox: `0 0 ${WIDTH} ${height}`, role: 'img', class: 'chart' });
  const description = results.map((r, i) => `${r.label} ${format(metric, values[i])}`).join(', ');
  svg.append(node('title', {}, `${metric.label}: ${description}`));

  results.forEach((result, i) => {
    const y = TOP + i * ROW;
    const value = values[i];
    const r = i === 0 ? null : ratio(value, reference);
    const g = node('g', { 'data-testid': `chart-${metric.id}-${result.id}`, 'data-value': value ?? '' });
    g.append(node('text', { x: 0, y: y + 11, class: 'bar-label' }, result.label));
    const valueText = node('text', { x: WIDTH, y: y + 11, class: 'bar-value', 'text-anchor': 'end' }, format(metric, value));
    if (r !== null) valueText.append(node('tspan', { class: 'bar-ratio', dx: 6 }, `${formatRatio(r)} vs WS`));
    g.append(valueText);
    g.append(node('rect', { x: 0, y: y + 16, width: WIDTH, height: 10, rx: 2, class: 'bar-track' }));
    const width = max > 0 && value ? Math.max(2, (value / max) * WIDTH) : 0; // a sliver stays visible
    g.append(node('rect', { x: 0, y: y + 16, width, height: 10, rx: 2, class: `bar bar-${result.id}` }));
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
