// Page logic for the echo test, the live figures and the comparison run. It talks to whichever socket createSocket
// returns and never asks which transport it is: everything per transport comes from the transports list.
import { transports, createSocket, CONNECTING, OPEN, CLOSING, CLOSED, DEFAULT_INTERVAL_MS } from './transports/index.js';
import { createLog } from './log.js';
import { createLivePanel } from './live-panel.js';
import { runProtocols } from './compare.js';
import { showComparison } from './compare-view.js';
import { pageProtocol } from './protocol.js';
import { shouldReconnect, reconnectDelayMs } from './reconnect.js';

const STATES = ['connecting', 'open', 'closing', 'closed'];
const CLOSE_WAIT_MS = 5000; // a switch waits this long at most for the old socket's close before opening the new one

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const ui = {
  switcher: byTestId('transport'),
  hint: byTestId('transport-hint'),
  status: byTestId('status'),
  connect: byTestId('connect'),
  disconnect: byTestId('disconnect'),
  composer: byTestId('composer'),
  message: byTestId('message'),
  send: byTestId('send'),
  log: byTestId('log'),
  count: byTestId('log-count'),
  clear: byTestId('clear-log'),
  interval: byTestId('poll-interval'),
  topic: byTestId('topic'),
  publish: byTestId('publish'),
  publishMessage: byTestId('publish-message'),
  publishSend: byTestId('publish-send'),
  compareForm: byTestId('comparison-form'),
  echoes: byTestId('compare-echoes'),
  pushSeconds: byTestId('compare-push-seconds'),
  pushInterval: byTestId('compare-push-interval'),
  run: byTestId('run-comparison'),
  runStatus: byTestId('comparison-status'),
  compared: { table: byTestId('comparison-table'), chart: byTestId('comparison-chart'), summary: byTestId('comparison-summary') },
};
const log = createLog(ui.log, (n) => { ui.count.textContent = n === 1 ? '1 entry' : `${n} entries`; });
const live = createLivePanel(byTestId('live-figures'), transports, {
  refresh: byTestId('live-refresh'),
  autoRefresh: byTestId('live-auto-refresh'),
  readAt: byTestId('live-read-at'),
});

let transport = transportFromUrl();
let socket = null;
let generation = 0; // bumped by every connect or switch; a superseded one gives up after its await
let lostInARow = 0; // connections lost (or reconnects failed) since the last one that opened

showProtocol();
buildSwitch();
ui.connect.addEventListener('click', () => connect());
ui.disconnect.addEventListener('click', () => disconnect('Disconnect clicked'));
ui.clear.addEventListener('click', () => log.clear());
ui.message.addEventListener('input', render);
ui.composer.addEventListener('submit', (e) => { e.preventDefault(); send(); });
ui.interval.addEventListener('change', () => {
  // A transport that polls on a timer takes the new interval by reconnecting; the others are not disturbed.
  if (ui.interval.checkValidity() && transport.settings.includes('intervalMs') && socket?.readyState !== CLOSED) connect();
});
ui.topic.addEventListener('change', () => {
  // Every transport subscribes when it connects, so a new topic takes effect by reconnecting.
  render();
  if (ui.topic.checkValidity() && socket?.readyState !== CLOSED) connect();
});
ui.topic.addEventListener('input', render);
ui.publishMessage.addEventListener('input', render);
ui.publish.addEventListener('submit', (e) => { e.preventDefault(); publish(); });
ui.compareForm.addEventListener('submit', (e) => { e.preventDefault(); compare(); });
// Closing on pagehide frees a polling session at once instead of leaving it to expire on the server.
addEventListener('pagehide', () => socket?.readyState === OPEN && socket.close(1000, 'Page closed'));
addEventListener('pageshow', (e) => e.persisted && connect()); // back from the back/forward cache: connect again
connect();

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
}

function transportFromUrl() {
  const wanted = new URLSearchParams(location.search).get('transport');
  return transports.find((t) => t.id === wanted) ?? transports[0];
}

function buildSwitch() {
  for (const t of transports) {
    const id = `transport-${t.id}`;
    const segment = document.createElement('div');
    segment.className = 'segment';
    const input = Object.assign(document.createElement('input'), { type: 'radio', name: 'transport', id, value: t.id });
    input.dataset.testid = id;
    input.checked = t === transport;
    input.addEventListener('change', () => input.checked && switchTo(t));
    const label = Object.assign(document.createElement('label'), { htmlFor: id, textContent: t.label });
    segment.append(input, label);
    ui.switcher.append(segment);
  }
}

async function switchTo(next) {
  transport = next;
  const url = new URL(location.href);
  url.searchParams.set('transport', next.id);
  history.replaceState(null, '', url);
  const mine = ++generation;
  lostInARow = 0; // the person acted: a later open is theirs, not a reconnect
  log.event(`switching to ${next.label}`, next.label);
  await closeSocket(`Switching to ${next.label}`);
  if (mine === generation) open();
}

async function connect() {
  const mine = ++generation;
  lostInARow = 0; // the person acted: a later open is theirs, not a reconnect
  await closeSocket('Reconnecting');
  if (mine === generation) open();
}

async function disconnect(reason) {
  ++generation;
  lostInARow = 0;
  await closeSocket(reason);
}

function open() {
  const via = transport.label;
  const mine = generation;
  log.event(`connecting via ${via}`, via);
  const s = createSocket(transport.id, location.href, connectOptions());
  s.onopen = () => {
    log.event(`open — connected to ${s.url}`, via);
    if (lostInARow > 0) log.event('reconnected', via);
    lostInARow = 0;
    render();
  };
  s.onmessage = (e) => log.received(e.data, via);
  s.onerror = (e) => { log.event(`error${e.message ? ` — ${e.message}` : ''}`, via, 'error'); render(); };
  s.onclose = (e) => {
    const reason = e.reason ? ` “${e.reason}”` : '';
    log.event(`close — code ${e.code}${reason}, ${e.wasClean ? 'clean' : 'not clean'}`, via, e.wasClean ? undefined : 'error');
    render();
    // Only a drop nobody asked for: a Disconnect, switch or reconnect bumped the generation before closing.
    if (mine === generation && shouldReconnect(e.code)) reconnectLater(via, e.code);
  };
  s.addEventListener('retry', (e) => {
    log.event(`retry — ${e.operation} attempt ${e.attempt} failed (${e.reason}); trying again in ${e.delayMs} ms`, via, 'warning');
  });
  socket = s;
  live.track(transport.id, s);
  render();
}

// The page's own reconnect, the same for every transport: after a short backoff, unless the person acted meanwhile.
function reconnectLater(via, code) {
  const mine = generation;
  const delayMs = reconnectDelayMs(++lostInARow);
  log.event(`connection lost (code ${code}) — reconnecting in ${delayMs / 1000} s`, via, 'warning');
  setTimeout(() => { if (mine === generation) open(); }, delayMs);
}

// Options every transport is opened with; each uses what applies to it (see `settings` in the transports list).
function connectOptions() {
  return { ...runOptions(), topic: topic() };
}

// What a comparison run's sockets get too: no topic, so a broadcast cannot disturb the run's figures.
function runOptions() {
  return { intervalMs: ui.interval.checkValidity() ? ui.interval.valueAsNumber : DEFAULT_INTERVAL_MS };
}

/** The topic field's name when it is one (the same rule as the server's), else undefined: no subscription. */
function topic() {
  return ui.topic.value !== '' && ui.topic.checkValidity() ? ui.topic.value : undefined;
}

// POST /topics/{name}: the broadcast comes back through the socket's onmessage like any other message, on every
// transport subscribed to the topic (this page's included, when it is).
async function publish() {
  const name = topic();
  const text = ui.publishMessage.value;
  if (!name || text === '') return;
  try {
    const response = await fetch(`topics/${encodeURIComponent(name)}`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: text,
    });
    const body = await response.json().catch(() => null);
    if (response.status === 202) {
      const n = body?.subscribers ?? 0;
      log.event(`published “${text}” to topic ${name} — ${n === 1 ? '1 subscriber' : `${n} subscribers`}`, 'Topics');
    } else {
      log.event(`publish refused (${response.status}) — ${body?.detail ?? response.statusText}`, 'Topics', 'error');
    }
  } catch (err) {
    log.event(`publish failed — ${err.message}`, 'Topics', 'error');
  }
}

async function compare() {
  ui.run.disabled = true;
  ui.runStatus.dataset.state = 'running';
  const started = performance.now();
  const workload = `${ui.echoes.valueAsNumber} echoes, then ${ui.pushSeconds.valueAsNumber} s of push every ${ui.pushInterval.valueAsNumber} ms`;
  log.event(`comparison run started: ${workload}`, 'Comparison');
  let leg = null;
  try {
    const sets = await runProtocols({
      onLeg: (next) => { leg = next; },
      transports,
      createSocket,
      echoes: ui.echoes.valueAsNumber,
      pushSeconds: ui.pushSeconds.valueAsNumber,
      pushIntervalMs: ui.pushInterval.valueAsNumber,
      connect: runOptions(),
      onProgress: ({ transport: t, phase, done, total }) => {
        const step = phase === 'done' ? 'done' : phase === 'echo' ? `echo ${done + 1} of ${total}` : `push tick ${done + 1} of ${total}`;
        ui.runStatus.textContent = `${leg.protocol.text} · ${t.label}: ${step}`;
      },
    });
    showComparison(ui.compared, sets);
    const seconds = Math.round((performance.now() - started) / 1000);
    const over = sets.filter((s) => s.results).map((s) => s.protocol.text).join(' and ');
    ui.runStatus.textContent = `Done in ${seconds} s: ${workload}, over ${transports.map((t) => t.label).join(', ')}, on ${over}.`;
    ui.runStatus.dataset.state = 'done';
    log.event(`comparison run finished in ${seconds} s`, 'Comparison');
  } catch (err) {
    ui.runStatus.textContent = `The run failed: ${err.message}`;
    ui.runStatus.dataset.state = 'error';
    log.event(`comparison run failed — ${err.message}`, 'Comparison', 'error');
  } finally {
    ui.run.disabled = false;
    live.refresh(); // the person asked for figures: the page's own connection's are read with the run's
  }
}

// Closes the current socket and resolves once it has fired close (or after CLOSE_WAIT_MS if it never does).
function closeSocket(reason) {
  const s = socket;
  if (!s || s.readyState === CLOSED) return Promise.resolve();
  const closed = new Promise((resolve) => {
    s.addEventListener('close', resolve, { once: true });
    setTimeout(resolve, CLOSE_WAIT_MS);
  });
  if (s.readyState !== CLOSING) s.close(1000, reason);
  render();
  return closed;
}

function send() {
  const text = ui.message.value;
  if (text === '' || socket?.readyState !== OPEN) return;
  try {
    socket.send(text);
    log.sent(text, transport.label);
  } catch (err) {
    log.event(`error — ${err.message}`, transport.label, 'error');
  }
}

let refocus = null; // the button that should take focus back when a disabled one dropped it

function render() {
  const focused = document.activeElement;
  const state = socket?.readyState ?? CLOSED;
  const name = STATES[state];
  ui.status.dataset.state = name;
  ui.status.textContent = name[0].toUpperCase() + name.slice(1);
  ui.connect.disabled = state !== CLOSED;
  ui.disconnect.disabled = state !== CONNECTING && state !== OPEN;
  ui.send.disabled = state !== OPEN || ui.message.value === '';
  ui.publishSend.disabled = !topic() || ui.publishMessage.value === '';
  ui.hint.textContent = transport.hint;

  // Keyboard users keep their place: Disconnect hands focus to Connect once it is enabled, and back.
  if (focused?.disabled) refocus = focused === ui.connect ? ui.disconnect : ui.connect;
  if (refocus && !refocus.disabled && document.activeElement === document.body) refocus.focus();
  if (refocus && !refocus.disabled) refocus = null;
}
