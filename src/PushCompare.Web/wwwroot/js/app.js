// The page's wiring: finds its controls, builds the transport switch, hands each control to the module that does its
// job (connection.js, topics.js, compare-panel.js, live-panel.js, log.js) and keeps the controls' enabled state in
// step with the connection. Everything per transport comes from the transports list.
import { transports, createSocket, CONNECTING, OPEN, CLOSED, DEFAULT_INTERVAL_MS } from './transports/index.js';
import { createLog } from './log.js';
import { createLivePanel } from './live-panel.js';
import { createComparePanel } from './compare-panel.js';
import { createConnection } from './connection.js';
import { topicOf, publish } from './topics.js';
import { pageProtocol } from './protocol.js';
import { byTestId } from './dom.js';

const STATES = ['connecting', 'open', 'closing', 'closed'];

const ui = {
  switcher: byTestId('transport'),
  hint: byTestId('transport-hint'),
  status: byTestId('status'),
  carrier: byTestId('carrier'),
  connect: byTestId('connect'),
  disconnect: byTestId('disconnect'),
  composer: byTestId('composer'),
  message: byTestId('message'),
  send: byTestId('send'),
  count: byTestId('log-count'),
  clear: byTestId('clear-log'),
  interval: byTestId('poll-interval'),
  topic: byTestId('topic'),
  publish: byTestId('publish'),
  publishMessage: byTestId('publish-message'),
  publishSend: byTestId('publish-send'),
  publishHint: byTestId('publish-hint'),
};
const log = createLog(byTestId('log'), (n) => { ui.count.textContent = n === 1 ? '1 entry' : `${n} entries`; });
const live = createLivePanel(byTestId('live-figures'), transports, {
  refresh: byTestId('live-refresh'),
  autoRefresh: byTestId('live-auto-refresh'),
  readAt: byTestId('live-read-at'),
});
const wanted = new URLSearchParams(location.search).get('transport');
const connection = createConnection({
  transport: transports.find((t) => t.id === wanted) ?? transports[0],
  log,
  track: live.track,
  // Options every transport is opened with; each uses what applies to it (see `settings` in the transports list).
  options: () => ({ ...runOptions(), topic: topicOf(ui.topic) }),
  onChange: render,
});
createComparePanel({
  form: byTestId('comparison-form'),
  echoes: byTestId('compare-echoes'),
  pushSeconds: byTestId('compare-push-seconds'),
  pushInterval: byTestId('compare-push-interval'),
  run: byTestId('run-comparison'),
  status: byTestId('comparison-status'),
  over: byTestId('compare-over'),
  compared: { table: byTestId('comparison-table'), chart: byTestId('comparison-chart'), summary: byTestId('comparison-summary') },
  optional: byTestId('compare-optional'),
}, {
  transports,
  createSocket,
  log,
  connect: runOptions,
  done: () => live.refresh(), // the person asked for figures: the page's own connection's are read with the run's
});

showProtocol();
buildSwitch();
if (wanted !== null && connection.transport.id !== wanted) {
  log.event(`the address asks for transport “${wanted}”, which this page does not offer: using ${connection.transport.label} `
    + `(choose ${transports.map((t) => t.id).join(', ')})`, 'Page', 'warning');
}
ui.connect.addEventListener('click', () => connection.connect());
ui.disconnect.addEventListener('click', () => connection.disconnect('Disconnect clicked'));
ui.clear.addEventListener('click', () => log.clear());
ui.message.addEventListener('input', render);
ui.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  if (ui.message.value !== '' && connection.state === OPEN) connection.send(ui.message.value);
});
ui.interval.addEventListener('change', () => {
  // A transport that polls on a timer takes the new interval by reconnecting; the others are not disturbed.
  if (ui.interval.checkValidity() && connection.transport.settings.includes('intervalMs') && connection.state !== CLOSED) connection.connect();
});
ui.topic.addEventListener('change', () => {
  // Every transport subscribes when it connects, so a new topic takes effect by reconnecting.
  render();
  if (ui.topic.checkValidity() && connection.state !== CLOSED) connection.connect();
});
ui.topic.addEventListener('input', render);
ui.publishMessage.addEventListener('input', render);
ui.publish.addEventListener('submit', (e) => {
  e.preventDefault();
  const name = topicOf(ui.topic);
  if (name && ui.publishMessage.value !== '') publish(name, ui.publishMessage.value, log);
});
// Closing on pagehide frees a polling session at once instead of leaving it to expire on the server.
addEventListener('pagehide', () => connection.leave());
addEventListener('pageshow', (e) => e.persisted && connection.connect()); // back from the back/forward cache: connect again
connection.connect();

// What a comparison run's sockets get too: no topic, so a broadcast cannot disturb the run's figures.
function runOptions() {
  return { intervalMs: ui.interval.checkValidity() ? ui.interval.valueAsNumber : DEFAULT_INTERVAL_MS };
}

// The protocol under every figure: the connection bar says it, the live panel's heading repeats it.
function showProtocol() {
  const protocol = pageProtocol();
  for (const id of ['protocol', 'live-protocol']) {
    const el = byTestId(id);
    el.textContent = protocol.text;
    el.dataset.alpn = protocol.alpn;
    el.dataset.tls = String(protocol.tls);
  }
  byTestId('tls-notice').hidden = !protocol.tls;
  // Over HTTP/2 a WebSocket opens with an extended CONNECT (RFC 8441), which devtools lists as 200, not 101.
  if (protocol.alpn === 'h2') byTestId('ws-status').textContent = 'status 200: on HTTP/2 it opens with a CONNECT, not an upgrade';
}

function buildSwitch() {
  for (const t of transports) {
    const id = `transport-${t.id}`;
    const segment = document.createElement('div');
    segment.className = 'segment';
    const input = Object.assign(document.createElement('input'), { type: 'radio', name: 'transport', id, value: t.id });
    input.dataset.testid = id;
    input.checked = t === connection.transport;
    input.addEventListener('change', () => input.checked && switchTo(t));
    const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: t.label });
    segment.append(input, label);
    ui.switcher.append(segment);
  }
}

// The address keeps the transport, so a reload or a shared link opens the same one.
function switchTo(next) {
  const url = new URL(location.href);
  url.searchParams.set('transport', next.id);
  history.replaceState(null, '', url);
  connection.switchTo(next);
}

let refocus = null; // the button that should take focus back when a disabled one dropped it

function render() {
  const focused = document.activeElement;
  const state = connection.state;
  const name = STATES[state];
  ui.status.dataset.state = name;
  ui.status.textContent = name[0].toUpperCase() + name.slice(1);
  ui.connect.disabled = state !== CLOSED;
  ui.disconnect.disabled = state !== CONNECTING && state !== OPEN;
  ui.send.disabled = state !== OPEN || ui.message.value === '';
  ui.publishSend.disabled = !topicOf(ui.topic) || ui.publishMessage.value === '';
  ui.publishHint.hidden = Boolean(topicOf(ui.topic));
  ui.hint.textContent = connection.transport.hint;
  // A transport that carries others (auto) shows which one is in use.
  const carrier = transports.find((t) => t.id === connection.carrier);
  ui.carrier.hidden = !connection.transport.carries;
  ui.carrier.textContent = carrier && carrier !== connection.transport ? `via ${carrier.label}` : 'choosing a transport…';
  ui.carrier.dataset.transport = carrier && carrier !== connection.transport ? carrier.id : '';

  // Keyboard users keep their place: Disconnect hands focus to Connect once it is enabled, and back.
  if (focused?.disabled) refocus = focused === ui.connect ? ui.disconnect : ui.connect;
  if (refocus && !refocus.disabled) {
    if (document.activeElement === document.body) refocus.focus();
    refocus = null;
  }
}
