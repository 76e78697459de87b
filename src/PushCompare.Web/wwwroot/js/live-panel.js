// The live panel: for each transport side by side, the server's exact figures for the page's own connection (from
// /api/stats?session=KEY) and what the browser itself could see. The browser's figures cost nothing on the wire and
// update live; the server's are read only when the person asks (Refresh, auto-refresh), when the connection closes and
// after a comparison run, so devtools' Network tab shows the transport's own requests and nothing of the page's.
import { pageProtocol } from './protocol.js';
import { CLOSED, OPEN } from './transports/index.js';
import { fetchSessionStats } from './stats.js';
import { formatMs, formatNumber, timestamp } from './format.js';
import { el } from './dom.js';
import { scrollableTable } from './table-scroll.js';

const AUTO_REFRESH_MS = 1000;

/** Server-side rows: GET /api/stats fields of the session. */
const serverRows = [
  { id: 'requests', label: 'Requests', get: (s) => s.requests },
  { id: 'bytesIn', label: 'Bytes in', note: '↑ page → server', get: (s) => s.bytesIn },
  { id: 'bytesOut', label: 'Bytes out', note: '↓ server → page', get: (s) => s.bytesOut },
  // The wire layer: on TLS the records' overhead too (equal to the bytes above on plain HTTP); docs/measuring.md.
  { id: 'wireBytesIn', label: 'Wire bytes in', note: '↑ with TLS records', get: (s) => s.wireBytesIn },
  { id: 'wireBytesOut', label: 'Wire bytes out', note: '↓ with TLS records', get: (s) => s.wireBytesOut },
  // Connection figures, owned by the transport whose request opened the connection: on a page that is mostly the
  // page's own first request, so a 0 here says where they went instead (`page`).
  { id: 'tlsHandshake', label: 'TLS handshakes', note: 'both ways, transport total', tls: true,
    get: (s) => connectionBytes(s.transportTotals, 'tlsHandshake'), page: (s) => connectionBytes(s.pageTotals, 'tlsHandshake') },
  { id: 'http2Connection', label: 'HTTP/2 connection frames', note: 'both ways, transport total', tls: true,
    get: (s) => connectionBytes(s.transportTotals, 'http2Connection'), page: (s) => connectionBytes(s.pageTotals, 'http2Connection') },
  { id: 'messagesIn', label: 'Messages in', note: '↑', get: (s) => s.messagesIn },
  { id: 'messagesOut', label: 'Messages out', note: '↓ delivered', get: (s) => s.messagesOut },
  { id: 'bytesPerMessage', label: 'Bytes per message', note: 'both ways', get: (s) => s.bytesPerMessage },
  { id: 'latencyMean', label: 'Latency, mean', ms: true, get: (s) => s.latency.meanMs },
  { id: 'latencyMax', label: 'Latency, max', ms: true, get: (s) => s.latency.maxMs },
  // A session's bytes split by the transport that carried them (/api/stats `parts`; one part unless auto moved it).
  { id: 'parts', label: 'By transport', note: 'bytes in + out', get: (s) => s.parts ?? null, parts: true },
];

function connectionBytes(totals, figure) {
  return totals && totals[`${figure}BytesIn`] + totals[`${figure}BytesOut`];
}

/** Browser-side rows: the socket's traffic() (WebSocket frames it handled, or Resource Timing entries). */
const browserRows = [
  { id: 'requests', label: 'Requests', get: (t) => t.requests },
  { id: 'messagesSent', label: 'Messages sent', note: '↑', get: (t) => t.messagesSent },
  { id: 'messagesReceived', label: 'Messages received', note: '↓', get: (t) => t.messagesReceived },
  { id: 'bytesSent', label: 'Bytes sent', note: '↑', get: (t) => t.bytesSent },
  { id: 'bytesReceived', label: 'Bytes received', note: '↓', get: (t) => t.bytesReceived },
  { id: 'payloadBytesReceived', label: 'Payload / body bytes', note: '↓', get: (t) => t.payloadBytesReceived },
];

const unavailable = {
  'resource-timing': 'Resource Timing does not expose request sizes.',
  websocket: '',
  auto: 'Its transports differ in what a page can see of their bytes; the server’s By transport row has them.',
};

const stateText = { unused: 'not used yet', connecting: 'connecting', live: 'live', closed: 'closed' };

/**
 * @param {HTMLElement} root where the table goes
 * @param {readonly {id: string, label: string}[]} transports the columns, in order
 * @param {{refresh: HTMLButtonElement, autoRefresh: HTMLInputElement, readAt: HTMLElement}} controls the Refresh
 *   button, the auto-refresh checkbox and the line that says when the server's figures were read
 */
export function createLivePanel(root, transports, controls, base = location.href) {
  // The handshake and HTTP/2 rows exist only over TLS (on plain HTTP they would always read 0).
  const rows = new URL(base).protocol === 'https:' ? serverRows : serverRows.filter((r) => !r.tls);
  // Per transport: the connection its column shows (null until one is tracked), with its figures.
  const columns = new Map(transports.map((t) => [t.id, null]));
  const cells = buildTable(root, transports, rows);
  const proxyNote = el('p', { className: 'proxy-note', hidden: true, role: 'status' });
  proxyNote.dataset.testid = 'live-proxy-note';
  root.prepend(proxyNote);
  const labelOf = (id) => transports.find((t) => t.id === id)?.label ?? id;
  let lastRead = null;
  let timer = null;

  // Connections whose server figures can still change: open ones, and closed ones whose final figures are not in yet.
  const changing = () => [...columns.values()].filter((c) => c?.socket.sessionKey && !c.final);

  /** Reads the server's figures: one GET /api/stats per column that can still change and is not being read already. */
  function refresh() {
    return Promise.all(changing().filter((c) => !c.reading).map(read));
  }

  // One request per call, one at a time per connection: a read asked for during another (the close's) follows it,
  // because the one in flight may have started before the close and would not carry the final figures.
  function read(column) {
    if (column.reading) {
      column.again = true;
      return column.reading;
    }
    column.reading = (async () => {
      try {
        do {
          column.again = false;
          await readOnce(column);
        } while (column.again && !column.final);
      } finally {
        column.reading = null;
        render();
      }
    })();
    return column.reading;
  }

  async function readOnce(column) {
    const { socket } = column;
    const closed = socket.readyState === CLOSED; // read before the request: figures fetched after a close are final
    try {
      const stats = await fetchSessionStats(socket.sessionKey, base);
      column.stats = stats;
      column.error = null;
      if (closed && stats) column.final = true;
      lastRead = new Date();
    } catch (err) {
      column.error = err.message;
    }
  }

  function render() {
    for (const t of transports) {
      const column = columns.get(t.id);
      const c = cells.get(t.id);
      const socket = column?.socket;
      const state = !socket ? 'unused'
        : socket.readyState === CLOSED ? 'closed'
          : socket.readyState === OPEN ? 'live' : 'connecting';
      c.state.dataset.state = state;
      const text = column?.final ? `${stateText[state]} · final` : stateText[state];
      c.state.textContent = column?.error ? `${text} · ${column.error}` : text;
      const key = socket?.sessionKey ?? '';
      c.session.dataset.value = key;
      c.session.textContent = key ? `${key.slice(0, 8)}…` : '—';
      c.session.title = key;
      // Behind a balancer that does not meter, the server's figures are not this page's: none is shown.
      const stats = column?.stats?.behindProxy ? null : column?.stats;
      for (const row of rows) {
        const cell = c.server.get(row.id);
        if (row.parts) { showParts(cell, stats ? row.get(stats) : null, labelOf); continue; }
        show(cell, stats ? row.get(stats) : null, row.ms);
        if (row.page && stats) showWhereItWent(cell, row.get(stats), row.page(stats));
      }
      const traffic = socket?.traffic?.();
      for (const row of browserRows) {
        const cell = c.browser.get(row.id);
        const value = traffic ? row.get(traffic) : null;
        show(cell, value);
        cell.title = traffic && value === null ? unavailable[traffic.source] : '';
        if (traffic && value === null) cell.textContent = 'n/a';
      }
    }
    // Disabled only when every figure shown is final (not while a read is in flight: focus would drop off it).
    const waiting = changing().length > 0;
    controls.refresh.disabled = !waiting;
    controls.refresh.title = waiting ? 'Read the server’s figures now: one GET /api/stats per connection whose figures can still change'
      : 'Nothing to read: the server’s figures shown are final';
    controls.readAt.textContent = lastRead ? `Server figures read at ${timestamp(lastRead)}.` : 'Server figures not read yet.';
    const proxy = [...columns.values()].find((c) => c?.stats?.behindProxy)?.stats.behindProxy;
    proxyNote.hidden = !proxy;
    proxyNote.textContent = proxy ? `This page reaches the app through a load balancer (the app sees its requests come from ${proxy}). `
      + 'The server meters the balancer’s connections to it, not your browser’s, so its figures would not match DevTools '
      + 'and are not shown. Only the PushCompare gateway meters the browser’s own connection (docs/scale-out.md).' : '';
  }

  controls.refresh.addEventListener('click', refresh);
  // Off by default, even when a reload restores the box ticked: each tick is a GET /api/stats in the Network tab.
  // A hidden page skips its ticks.
  controls.autoRefresh.checked = false;
  controls.autoRefresh.addEventListener('change', () => {
    clearInterval(timer);
    timer = null;
    if (!controls.autoRefresh.checked) return;
    const tick = () => document.visibilityState === 'visible' && refresh();
    timer = setInterval(tick, AUTO_REFRESH_MS);
    tick();
  });
  render();

  return {
    /** Shows `socket`'s figures in its transport's column from now on (the column's previous figures are replaced). */
    track(transportId, socket) {
      const column = { socket, stats: null, final: false, error: null, reading: null, again: false };
      columns.set(transportId, column);
      socket.addEventListener('open', render);
      socket.addEventListener('message', render);
      // A close reads once more, unasked: the figures are final then, and it ended what the person was measuring.
      socket.addEventListener('close', () => {
        if (columns.get(transportId) === column && socket.sessionKey) read(column);
        render();
      });
      render();
    },
    refresh,
  };
}

function show(cell, value, ms = false) {
  cell.dataset.value = value ?? '';
  cell.textContent = ms ? formatMs(value) : formatNumber(value);
  cell.title = '';
}

// One line per transport that carried the session: its bytes both ways (data-value: id=bytes;… for tests and tools).
function showParts(cell, parts, labelOf) {
  const entries = Object.entries(parts ?? {}).map(([id, p]) => [id, p.bytesIn + p.bytesOut]);
  cell.dataset.value = entries.map(([id, bytes]) => `${id}=${bytes}`).join(';');
  cell.title = '';
  if (entries.length === 0) { cell.textContent = formatNumber(null); return; }
  cell.replaceChildren(...entries.map(([id, bytes]) => el('span', { className: 'parts' }, `${labelOf(id)} ${formatNumber(bytes)}`)));
}

// A connection figure of 0 whose bytes the page's own traffic paid: say so, with the page's figure, rather than 0.
function showWhereItWent(cell, value, pageValue) {
  if (value !== 0 || !pageValue) return;
  cell.replaceChildren('→ page’s own', el('span', { className: 'moved' }, formatNumber(pageValue)));
  cell.title = 'This transport rode a connection the page’s own first request opened, so these bytes are counted '
    + 'to the page’s other traffic (every transport’s column shows the same page total).';
}

// One table: a column per transport; a group of rows for the server's figures, then one for the browser's.
function buildTable(root, transports, serverRows) {
  const cells = new Map(transports.map((t) => [t.id, { server: new Map(), browser: new Map() }]));
  const table = el('table', { className: 'figures' });
  table.dataset.testid = 'live-table';
  const headRow = el('tr', {}, el('th', { scope: 'col', className: 'figure-name' }, 'This page',
    el('span', { className: 'protocol-tag', title: 'The protocol every figure below rode' }, pageProtocol().text)));
  for (const t of transports) {
    const state = el('span', { className: 'state' });
    state.dataset.testid = `live-${t.id}-state`;
    const th = el('th', { scope: 'col' }, el('span', { className: `swatch swatch-${t.id}` }), t.label, state);
    cells.get(t.id).state = state;
    headRow.append(th);
  }
  table.append(el('thead', {}, headRow));

  const group = (title, detail, rows, prefix, part) => {
    const body = el('tbody');
    body.append(el('tr', { className: 'group' }, el('th', { scope: 'colgroup', colSpan: transports.length + 1 }, title, el('span', { className: 'detail' }, detail))));
    for (const row of rows) {
      const tr = el('tr', {}, el('th', { scope: 'row' }, row.label, row.note ? el('span', { className: 'note' }, row.note) : ''));
      for (const t of transports) {
        const td = el('td', {}, '—');
        td.dataset.testid = `${prefix}-${t.id}-${row.id}`;
        cells.get(t.id)[part].set(row.id, td);
        tr.append(td);
      }
      body.append(tr);
    }
    return body;
  };
  table.append(group('Server', ' — exact bytes, HTTP and wire layer (GET /api/stats)', serverRows, 'live', 'server'));
  const sessionRow = el('tr', { className: 'session' }, el('th', { scope: 'row' }, 'Session key'));
  for (const t of transports) {
    const td = el('td', { className: 'mono' }, '—');
    td.dataset.testid = `live-${t.id}-session`;
    cells.get(t.id).session = td;
    sessionRow.append(td);
  }
  table.tBodies[0].append(sessionRow);
  table.append(group('Browser', ' — what the page itself can see', browserRows, 'browser', 'browser'));
  root.replaceChildren(scrollableTable(table, 'Live figures of this page’s connection, a column per transport'));
  return cells;
}
