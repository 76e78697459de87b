// Shows a comparison run: per protocol a table (a column per transport, each polling figure with its ratio to
// WebSocket over the same protocol), side by side; a bar chart per metric with both protocols' bars per transport;
// and, for a protocol the browser could not reach, a sentence saying why and what to do.
import { metrics, UNMETERED } from './compare-metrics.js';
import { barChart } from './chart.js';
import { el } from './dom.js';
import { scrollableTable } from './table-scroll.js';
import { formatMs, formatNumber, formatRatio, ratio } from './format.js';

const delivered = { id: 'messages', label: 'Messages delivered', get: (r) => r.figures?.messagesOut ?? r.delivered };

/**
 * @param {{table: Element, chart: Element, summary: Element}} targets
 * @param {{protocol: object, base: string, results: object[]|null, problem: object|null}[]} sets one per protocol
 *   (runProtocols); each set's first result is its reference, WebSocket
 */
export function showComparison({ table, chart, summary }, sets) {
  const measured = sets.filter((s) => s.results);
  table.replaceChildren(el('div', { className: 'compare-sets' }, ...sets.map(setBlock)));

  const title = measured.map((s) => s.protocol.text).join(' vs ');
  chart.replaceChildren(...metrics.map((metric) => {
    const figure = el('figure', { className: 'chart-box' },
      el('figcaption', {}, metric.label, el('span', { className: 'protocol-tag' }, title)), barChart(metric, measured));
    figure.dataset.testid = `chart-${metric.id}`;
    return figure;
  }));

  summary.textContent = measured.map(sentence).filter(Boolean).join(' ');
}

function setBlock(set) {
  const { protocol } = set;
  const heading = el('h3', { className: 'set-head' }, el('span', { className: 'protocol' }, protocol.text),
    el('span', { className: 'origin' }, new URL(set.base).origin));
  heading.querySelector('.protocol').dataset.testid = `compare-protocol-${protocol.id}`;
  const block = el('section', { className: 'compare-set' }, heading);
  block.dataset.testid = `compare-set-${protocol.id}`;
  block.dataset.alpn = protocol.alpn ?? '';
  block.dataset.tls = String(protocol.tls);
  if (protocol.link) {
    const note = el('p', { className: 'notice link-note' }, `Over the emulated ${protocol.link.name} link (${protocol.link.description}): `
      + 'the same app, its bytes unchanged; only the times are the link’s (docs/measuring.md, “Over an emulated link”).');
    note.dataset.testid = `compare-link-${protocol.id}`;
    block.append(note);
  }
  if (set.problem) block.append(problemNote(set));
  if (set.results) {
    const proxy = set.results.find((r) => r.behindProxy)?.behindProxy;
    if (proxy) {
      block.append(el('p', { className: 'notice' }, `This page reaches the app through a load balancer (its requests come from ${proxy}): `
        + 'the server meters the balancer’s connections, not your browser’s, so its figures are left out; messages delivered '
        + 'and latency are the page’s own counts.'));
    } else if (set.results.some((r) => !r.figures)) {
      block.append(el('p', { className: 'notice' }, `The server does not yet count bytes per session over ${protocol.text}: `
        + 'its figures are left out rather than shown as 0; messages delivered and latency are the page’s own counts.'));
    }
    block.append(scrollableTable(figureTable(set), `Comparison run over ${protocol.text}, a column per transport`));
  }
  return block;
}

function figureTable({ protocol, results }) {
  const [reference] = results;
  const head = el('tr', {}, el('th', { scope: 'col', className: 'figure-name' }, `Per run · ${protocol.short}`),
    ...results.map((r) => el('th', { scope: 'col' }, el('span', { className: `swatch swatch-${r.id}` }), r.label)));
  const body = el('tbody');
  const noneMetered = results.every((r) => !r.figures);
  for (const metric of [delivered, ...metrics]) {
    if (metric.server && noneMetered) {
      // One row for all the server's figures, not the same words in every cell.
      if (metric !== metrics.find((m) => m.server)) continue;
      const td = el('td', { className: 'unmetered', colSpan: results.length }, UNMETERED);
      td.dataset.testid = `compare-${protocol.id}-unmetered`;
      body.append(el('tr', {}, el('th', { scope: 'row', title: metrics.filter((m) => m.server).map((m) => m.label).join(', ') }, 'Requests and bytes'), td));
      continue;
    }
    const tr = el('tr', {}, el('th', { scope: 'row' }, metric.label));
    for (const result of results) {
      const unmetered = metric.server && !result.figures;
      const value = unmetered ? null : metric.get(result);
      const td = el('td', { className: unmetered ? 'unmetered' : '' }, unmetered ? UNMETERED : metric.ms ? formatMs(value) : formatNumber(value));
      td.dataset.testid = `compare-${protocol.id}-${result.id}-${metric.id}`;
      td.dataset.value = value ?? '';
      const r = ratio(value, unmetered ? null : metric.get(reference));
      if (result !== reference && metric !== delivered && r !== null) {
        const badge = el('span', { className: 'ratio', title: `${result.label} ÷ ${reference.label}, both over ${protocol.text}` }, `${formatRatio(r)} vs WS`);
        badge.dataset.testid = `compare-ratio-${protocol.id}-${result.id}-${metric.id}`;
        badge.dataset.value = r;
        td.append(badge);
      }
      tr.append(td);
    }
    body.append(tr);
  }
  return el('table', { className: 'figures compare' }, el('thead', {}, head), body);
}

// Why a protocol has no figures, and the one thing to do about it, with the link to do it.
function problemNote({ base, problem }) {
  const link = el('a', { href: base, target: '_blank', rel: 'noopener' }, new URL(base).origin);
  const texts = {
    certificate: ['The browser could not reach ', link, ' — most likely because the app’s self-signed certificate has not '
      + 'been accepted in this browser yet. Open that link once, accept the warning (“Advanced” → “Proceed”), come back and '
      + 'run again to get this column.'],
    'mixed-content': ['This page is on HTTPS, and the browser does not let it call plain HTTP (mixed content). Open the page on ',
      link, ' and run there to get both columns: a page on http may call https.'],
    failed: [`The run over ${new URL(base).origin} failed: ${problem.message}`],
  };
  const note = el('p', { className: 'notice' }, ...texts[problem.kind]);
  note.dataset.testid = 'compare-problem';
  note.dataset.kind = problem.kind;
  return note;
}

function sentence({ protocol, results }) {
  const perMessage = metrics.find((m) => m.id === 'bytesPerMessage');
  const [reference] = results;
  if (!reference.figures) return `Over ${protocol.text}: ${UNMETERED}.`;
  // Labels as the table spells them (not lowercased: "Server-Sent Events" has one spelling on the page).
  const phrases = results.slice(1).map((r) => `${r.label} ${formatRatio(ratio(perMessage.get(r), perMessage.get(reference)))}`);
  return `Over ${protocol.text}, per delivered message, ${reference.label} moved ${formatNumber(perMessage.get(reference))} bytes; `
    + `${phrases.join(', ')} as many.`;
}
