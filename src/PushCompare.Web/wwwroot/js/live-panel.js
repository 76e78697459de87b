// The live panel: for each transport side by side, the server's exact figures for the page's own connection (from
// /api/stats?session=KEY, about once a second while the page is visible) and what the browser itself could see.
import { CLOSED } from './transports/index.js';
import { fetchSessionStats } from './stats.js';
import { formatMs, formatNumber } from './format.js';

const REFRESH_MS = 1000;

/** Server-side rows: GET /api/stats fields of the session. */
const serverRows = [
  { id: 'requests', label: 'Requests', get: (s) => s.requests },
  { id: 'bytesIn', label: 'Bytes in', note: '↑ page → server', get: (s) => s.bytesIn },
  { id: 'bytesOut', label: 'Bytes out', note: '↓ server → page', get: (s) => s.bytesOut },
  { id: 'messagesIn', label: 'Messages in', note: '↑', get: (s) => s.messagesIn },
  { id: 'messagesOut', label: 'Messages out', note: '↓ delivered', get: (s) => s.messagesOut },
  { id: 'bytesPerMessage', label: 'Bytes per message', note: 'both ways', get: (s) => s.bytesPerMessage },
  { id: 'latencyMean', label: 'Latency, mean', ms: true, get: (s) => s.latency.meanMs },
  { id: 'latencyMax', label: 'Latency, max', ms: true, get: (s) => s.latency.maxMs },
];

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
};

const stateText = { unused: 'not used yet', connecting: 'connecting', live: 'live', closed: 'closed' };

/**
 * @param {HTMLElement} root where the table goes
 * @param {readonly {id: string, label: string}[]} transports the columns, in order
 */
export function createLivePanel(root, transports, base = location.href) {
  const columns = new Map(transports.map((t) => [t.id, { socket: null, stats: null, final: false, error: null }]));
  const cells = buildTable(root, transports);
  let busy = false;

  async function refresh() {
    if (busy || document.visibilityState !== 'visible') return;
    busy = true;
    try {
      for (const column of columns.values()) {
        const { socket } = column;
        if (!socket || column.final || !socket.sessionKey) continue;
        const closed = socket.readyState === CLOSED; // read before the request: figures fetched after a close are final
        try {
          const stats = await fetchSessionStats(socket.sessionKey, base);
          if (column.socket !== socket) continue; // a newer socket took the column meanwhile
          column.stats = stats;
          column.error = null;
          if (closed && stats) column.final = true;
        } catch (err) {
          column.error = err.message;
        }
      }
    } finally {
      busy = false;
      render();
    }
  }

  function render() {
    for (const t of transports) {
      const column = columns.get(t.id);
      const c = cells.get(t.id);
      const state = !column.socket ? 'unused'
        : column.socket.readyState === CLOSED ? 'closed'
          : column.socket.readyState === 1 ? 'live' : 'connecting';
      c.state.dataset.state = state;
      c.state.textContent = column.error ? `${stateText[state]} · ${column.error}` : stateText[state];
      const key = column.socket?.sessionKey ?? '';
      c.session.dataset.value = key;
      c.session.textContent = key ? `${key.slice(0, 8)}…` : '—';
      c.session.title = key;
      for (const row of serverRows) show(c.server.get(row.id), column.stats ? row.get(column.stats) : null, row.ms);
      const traffic = column.socket?.traffic?.();
      for (const row of browserRows) {
        const cell = c.browser.get(row.id);
        const value = traffic ? row.get(traffic) : null;
        show(cell, value);
        cell.title = traffic && value === null ? unavailable[traffic.source] : '';
        if (traffic && value === null) cell.textContent = 'n/a';
      }
    }
  }

  setInterval(refresh, REFRESH_MS);
  document.addEventListener('visibilitychange', refresh);
  render();

  return {
    /** Shows `socket`'s figures in its transport's column from now on (the column's previous figures are replaced). */
    track(transportId, socket) {
      const column = columns.get(transportId);
      Object.assign(column, { socket, stats: null, final: false, error: null });
      const soon = () => setTimeout(refresh, 50); // open, each message and the close show up without waiting a second
      socket.addEventListener('open', soon);
      socket.addEventListener('close', soon);
      socket.addEventListener('message', render);
      render();
    },
  };
}

function show(cell, value, ms = false) {
  cell.dataset.value = value ?? '';
  cell.textContent = ms ? formatMs(value) : formatNumber(value);
}

// One table: a column per transport; a group of rows for the server's figures, then one for the browser's.
function buildTable(root, transports) {
  const cells = new Map(transports.map((t) => [t.id, { server: new Map(), browser: new Map() }]));
  const table = el('table', { className: 'figures' });
  table.dataset.testid = 'live-table';
  const headRow = el('tr', {}, el('th', { scope: 'col', className: 'figure-name' }, 'This page'));
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
  table.append(group('Server', ' — exact wire bytes (GET /api/stats)', serverRows, 'live', 'server'));
  const sessionRow = el('tr', { className: 'session' }, el('th', { scope: 'row' }, 'Session key'));
  for (const t of transports) {
    const td = el('td', { className: 'mono' }, '—');
    td.dataset.testid = `live-${t.id}-session`;
    cells.get(t.id).session = td;
    sessionRow.append(td);
  }
  table.tBodies[0].append(sessionRow);
  table.append(group('Browser', ' — what the page itself can see', browserRows, 'browser', 'browser'));
  root.replaceChildren(el('div', { className: 'table-scroll' }, table));
  return cells;
}

/** A tiny element builder: el('td', { className: 'x' }, 'text', child). */
export function el(tag, props = {}, ...children) {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children.filter((c) => c !== '' && c != null));
  return element;
}
